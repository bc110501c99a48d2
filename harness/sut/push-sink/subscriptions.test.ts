import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seedKey } from './seed-key.ts';
import { keyHash, userAgentKeys, verifySubscriptionId, webPushSubscription } from './subscriptions.ts';

const key = seedKey('subs-test');
const origin = 'https://127.0.0.1:8443';

test('subscriptions look like PushSubscription.toJSON() and are reproducible from the seed', () => {
  const sub = webPushSubscription('subs-test', origin, 3);
  assert.deepEqual(sub, webPushSubscription(key, origin, 3));
  assert.match(sub.endpoint, /^https:\/\/127\.0\.0\.1:8443\/wp\/[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(sub.keys.p256dh, 'base64url').length, 65);
  assert.equal(Buffer.from(sub.keys.auth, 'base64url').length, 16);
  assert.equal(sub.expirationTime, null);
  assert.equal(userAgentKeys(key, 3).publicKey.toString('base64url'), sub.keys.p256dh);
});

test('ids carry index, dead flag, expiry and the restricting key, under a MAC', () => {
  const appKey = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 9)]).toString('base64url');
  const sub = webPushSubscription(key, origin, 77, {
    dead: true,
    expiresAt: 2_000_000_000,
    applicationServerKey: appKey,
  });
  const id = sub.endpoint.split('/wp/')[1] ?? '';
  const verdict = verifySubscriptionId(key, id);
  assert.equal(verdict.kind, 'valid');
  if (verdict.kind !== 'valid') return;
  assert.equal(verdict.index, 77);
  assert.equal(verdict.flaggedDead, true);
  assert.equal(verdict.expiresAt, 2_000_000_000);
  assert.equal(sub.expirationTime, 2_000_000_000_000);
  assert.ok(verdict.restrictedKeyHash?.equals(keyHash(Buffer.from(appKey, 'base64url'))));
  assert.equal(verifySubscriptionId(seedKey('other'), id).kind, 'unknown');
  assert.equal(verifySubscriptionId(key, 'short').kind, 'unknown');
  const raw = Buffer.from(id, 'base64url');
  raw[1] = 0; // clear the dead flag without the seed
  assert.equal(verifySubscriptionId(key, raw.toString('base64url')).kind, 'unknown');
});
