import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFaultProfile, parseSinkConfig } from './config.ts';

test('defaults: FCM limits of push.md §1.7, VAPID required, every message decrypted, no faults', () => {
  const config = parseSinkConfig({});
  assert.equal(config.fcm.quota.perMinute, 600_000);
  assert.deepEqual(config.fcm.perDevice, { perMinute: 240, perHour: 5000 });
  assert.equal(config.fcm.accessTokenTtlSeconds, 3599);
  assert.equal(config.webPush.requireVapid, true);
  assert.equal(config.webPush.decryptSampleRate, 1);
  assert.equal(config.http2.maxConcurrentStreams, 100);
  assert.deepEqual(config.faults.windows, []);
});

test('errors name the field', () => {
  assert.throws(
    () => parseSinkConfig({ fcm: { quota: { perMinute: 0 } } }, 'stack option pushSink', 'pushSink'),
    /pushSink\.fcm\.quota\.perMinute/,
  );
  assert.throws(() => parseSinkConfig({ webPush: { decryptSampleRate: 2 } }), /webPush\.decryptSampleRate/);
  assert.throws(() => parseSinkConfig({ wrokers: 2 }), /wrokers: unknown key; did you mean workers\?/);
  assert.throws(
    () => parseFaultProfile({ errors: { fcm: { '503': 0.6, '500': 0.6 } } }),
    /errors\.fcm: the probabilities add up/,
  );
  assert.throws(
    () => parseFaultProfile({ windows: [{ startSeconds: 0, durationSeconds: 0 }] }),
    /windows\[0\]\.durationSeconds/,
  );
  assert.throws(() => parseFaultProfile({ latency: { fcm: { p50Ms: 50, p99Ms: 10 } } }), /latency\.fcm\.p99Ms/);
});

test('a PATCH replaces top-level keys and keeps the others', () => {
  const current = parseFaultProfile({ deadFraction: { fcm: 0.1 }, errors: { fcm: { '503': 0.5 } } });
  const patched = parseFaultProfile({ errors: {} }, current);
  assert.equal(patched.deadFraction.fcm, 0.1);
  assert.deepEqual(patched.errors, {});
});
