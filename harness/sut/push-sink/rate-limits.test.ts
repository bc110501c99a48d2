import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeviceLimiter, leaseSize, ProjectQuota, QuotaLease, TokenBucket } from './rate-limits.ts';

const S = 1_000_000; // µs per second

test('a token bucket refills continuously: the window is not aligned to the clock', () => {
  const bucket = new TokenBucket(60, 1, 0);
  assert.equal(bucket.take(100, 0), 60);
  assert.equal(bucket.take(1, 0), 0);
  assert.equal(bucket.msUntil(1, 0), 1000);
  assert.equal(bucket.take(10, 2.5 * S), 2);
  assert.equal(bucket.take(100, 1000 * S), 60, 'never above capacity');
});

test('the project quota grants leases until empty, then says when to retry', () => {
  const quota = new ProjectQuota(600, 0); // 10 per second
  assert.deepEqual(quota.lease(500, 0), { granted: 500, retryAfterMs: 0 });
  assert.deepEqual(quota.lease(500, 0), { granted: 100, retryAfterMs: 0 });
  const refused = quota.lease(500, 0);
  assert.equal(refused.granted, 0);
  assert.equal(Math.round(refused.retryAfterMs), 100);
  assert.equal(leaseSize(600_000, 2), 500);
  assert.equal(leaseSize(10, 1), 1);
});

test('a worker lease spends locally, refills through one request at a time, and refuses when the primary does', async () => {
  const quota = new ProjectQuota(5, 0);
  let requests = 0;
  const lease = new QuotaLease(2, async (want) => {
    requests++;
    return quota.lease(want, 0);
  });
  const outcomes = await Promise.all(Array.from({ length: 7 }, () => lease.take()));
  const ok = outcomes.filter((o) => o === true || o.ok).length;
  assert.equal(ok, 5);
  assert.equal(lease.throttled, 2);
  assert.ok(requests <= 5, `${requests} lease requests`);
  lease.refund();
  assert.equal(lease.take(), true);
});

test('a busy worker asks for the next batch before the current one runs out', async () => {
  const quota = new ProjectQuota(1000, 0);
  let requests = 0;
  const lease = new QuotaLease(10, async (want) => {
    requests++;
    return quota.lease(want, 0);
  });
  assert.notEqual(lease.take(), true, 'the first take waits for a lease');
  await new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < 30; i++) {
    assert.equal(lease.take(), true, `take ${i} is synchronous`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(requests, 4);
  assert.equal(Math.round(quota.bucket.tokens), 1000 - 40);
});

test('per-device limits: 240 per minute, then 429 with a wait; other devices unaffected', () => {
  const limiter = new DeviceLimiter(240, 5000);
  for (let i = 0; i < 240; i++) assert.equal(limiter.hit(1, 0).ok, true);
  const refused = limiter.hit(1, 0);
  assert.equal(refused.ok, false);
  assert.equal(!refused.ok && refused.retryAfterSeconds, 1);
  assert.equal(limiter.hit(2, 0).ok, true);
  assert.equal(limiter.hit(1, 0.25 * S).ok, true, 'a quarter second refills one message');
});

test('per-device hourly limit binds a steady sender below the minute limit', () => {
  const limiter = new DeviceLimiter(240, 5000);
  let t = 0;
  let accepted = 0;
  // 200/min for an hour = 12,000 attempts: the hour bucket lets through its 5,000 plus an hour of refill.
  for (let i = 0; i < 12_000; i++) {
    if (limiter.hit(1, t).ok) accepted++;
    t += 0.3 * S;
  }
  const expected = 5000 + 5000;
  assert.ok(Math.abs(accepted - expected) < 10, `${accepted} accepted, expected about ${expected}`);
  limiter.sweep(t + 3600 * S);
  assert.equal(limiter.size, 0);
});
