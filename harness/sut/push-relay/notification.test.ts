import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from './api-error.ts';
import { batchTargets } from './fanout-worker.ts';
import { fcmRequestBody, prepareNotification } from './notification.ts';

const limits = { maxFcmMessageBytes: 4096, maxWebPushPayloadBytes: 3993 };

function rejects(fn: () => unknown, field: string): void {
  assert.throws(
    fn,
    (error: unknown) => error instanceof ApiError && error.code === 107 && error.message.includes(field),
  );
}

describe('prepareNotification', () => {
  it('adds the bench receipt fields and keeps values the caller set', () => {
    const prepared = prepareNotification(
      {
        fcm: { message: { token: 'ignored', data: { k: 'v', bench_t: '42' }, notification: { title: 'hi' } } },
        webpush: { headers: { ttl: '60', 'X-Bench-T': '43' }, payload: { a: 1 } },
      },
      'push-1',
      limits,
    );
    const fcm = JSON.parse(prepared.f!);
    assert.equal(fcm.token, undefined);
    assert.deepEqual(fcm.data, { k: 'v', bench_t: '42', bench_push_id: 'push-1' });
    assert.deepEqual(prepared.w!.h, { TTL: '60', 'X-Bench-T': '43', 'X-Bench-Push-Id': 'push-1' });
    assert.equal(prepared.w!.p, '{"a":1}');
  });

  it('stamps t as CLOCK_MONOTONIC µs when the caller did not', () => {
    const before = process.hrtime.bigint() / 1000n;
    const prepared = prepareNotification({ fcm: { message: {} } }, 'p', limits);
    const t = BigInt(JSON.parse(prepared.f!).data.bench_t);
    assert.ok(t >= before && t <= process.hrtime.bigint() / 1000n);
  });

  it('names the field of bad input', () => {
    rejects(
      () => prepareNotification({ fcm: { message: { data: { n: 1 } } } }, 'p', limits),
      'notification.fcm.message.data.n',
    );
    rejects(
      () => prepareNotification({ fcm: { message: { topic: 'x' } } }, 'p', limits),
      'notification.fcm.message.topic',
    );
    rejects(
      () => prepareNotification({ fcm: { message: { data: { big: 'x'.repeat(5000) } } } }, 'p', limits),
      'over the 4096-byte limit',
    );
    rejects(
      () => prepareNotification({ webpush: { payload: 'x'.repeat(4000) } }, 'p', limits),
      'notification.webpush.payload',
    );
    rejects(
      () => prepareNotification({ webpush: { headers: { Urgency: 'now' }, payload: '' } }, 'p', limits),
      'Urgency',
    );
    rejects(() => prepareNotification({ hms: {} }, 'p', limits), 'notification.hms');
    rejects(() => prepareNotification({}, 'p', limits), 'notification');
  });
});

describe('fcmRequestBody', () => {
  it('splices the token into the prepared message', () => {
    assert.deepEqual(JSON.parse(fcmRequestBody('{"data":{"a":"b"}}', 't"1')), {
      message: { token: 't"1', data: { a: 'b' } },
    });
    assert.deepEqual(JSON.parse(fcmRequestBody('{}', 't')), { message: { token: 't' } });
  });
});

describe('batchTargets', () => {
  it('groups by provider up to each batch size, keeping order within a provider', () => {
    const targets = [
      ...Array.from({ length: 5 }, (_, i) => ({ p: 'fcm' as const, k: `f${i}` })),
      ...Array.from({ length: 3 }, (_, i) => ({ p: 'webpush' as const, k: `w${i}` })),
    ];
    const batches = batchTargets(targets, { fcm: 2, webpush: 2 });
    assert.deepEqual(
      batches.map((b) => b.map((t) => t.k)),
      [['f0', 'f1'], ['f2', 'f3'], ['f4'], ['w0', 'w1'], ['w2']],
    );
  });
});
