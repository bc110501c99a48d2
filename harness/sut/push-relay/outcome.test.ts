import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, classifyFcm, classifyWebPush, parseRetryAfter, type RetryPolicy } from './outcome.ts';

const unregistered = JSON.stringify({
  error: {
    code: 404,
    message: 'Requested entity was not found.',
    status: 'NOT_FOUND',
    details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }],
  },
});
const invalidToken = JSON.stringify({
  error: {
    code: 400,
    message: 'The registration token is not a valid FCM registration token',
    status: 'INVALID_ARGUMENT',
    details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'INVALID_ARGUMENT' }],
  },
});
const senderMismatch = JSON.stringify({
  error: {
    code: 403,
    message: 'SenderId mismatch',
    status: 'PERMISSION_DENIED',
    details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'SENDER_ID_MISMATCH' }],
  },
});

describe('classifyFcm', () => {
  it('maps FCM v1 answers to delivered / dead / failed / retry', () => {
    assert.deepEqual(classifyFcm(200, '{"name":"x"}'), { kind: 'delivered' });
    assert.deepEqual(classifyFcm(404, unregistered), { kind: 'failed', reason: 'unregistered', dead: true });
    assert.deepEqual(classifyFcm(400, invalidToken), { kind: 'failed', reason: 'invalid_token', dead: true });
    assert.deepEqual(classifyFcm(403, senderMismatch), { kind: 'failed', reason: 'sender_id_mismatch', dead: false });
    assert.deepEqual(classifyFcm(400, '{"error":{"code":400,"message":"Android message is too big"}}'), {
      kind: 'failed',
      reason: 'payload_too_large',
      dead: false,
    });
    assert.deepEqual(classifyFcm(429, '{}', '7'), {
      kind: 'retry',
      cause: 'rate_limited',
      retryAfterMs: 7000,
      status: 429,
    });
    assert.deepEqual(classifyFcm(503, 'oops'), {
      kind: 'retry',
      cause: 'server',
      retryAfterMs: undefined,
      status: 503,
    });
    assert.deepEqual(classifyFcm(401, '{"error":{"status":"UNAUTHENTICATED"}}'), {
      kind: 'retry',
      cause: 'auth',
      status: 401,
    });
  });
});

describe('classifyWebPush', () => {
  it('treats 404 and 410 as dead subscriptions, 429/5xx as retryable', () => {
    assert.equal(classifyWebPush(201).kind, 'delivered');
    assert.deepEqual(classifyWebPush(410), { kind: 'failed', reason: 'webpush_gone', dead: true });
    assert.deepEqual(classifyWebPush(404), { kind: 'failed', reason: 'webpush_not_found', dead: true });
    assert.deepEqual(classifyWebPush(413), { kind: 'failed', reason: 'payload_too_large', dead: false });
    assert.deepEqual(classifyWebPush(403), { kind: 'failed', reason: 'vapid_rejected', dead: false });
    assert.deepEqual(classifyWebPush(429, '2'), {
      kind: 'retry',
      cause: 'rate_limited',
      retryAfterMs: 2000,
      status: 429,
    });
    assert.equal(classifyWebPush(502).kind, 'retry');
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('120'), 120_000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});

describe('backoffMs', () => {
  const policy: RetryPolicy = {
    maxAttempts: 8,
    baseDelayMs: 1000,
    rateLimitedInitialDelayMs: 60_000,
    maxDelayMs: 600_000,
    maxRetryAfterMs: 3_600_000,
  };
  it('doubles per attempt between half and all of the exponential step', () => {
    assert.equal(
      backoffMs(policy, 0, 'server', undefined, () => 0),
      500,
    );
    assert.equal(
      backoffMs(policy, 0, 'server', undefined, () => 1),
      1000,
    );
    assert.equal(
      backoffMs(policy, 3, 'server', undefined, () => 1),
      8000,
    );
    assert.equal(
      backoffMs(policy, 20, 'server', undefined, () => 1),
      600_000,
    );
  });
  it('starts 429 retries at the rate-limit delay and never retries before Retry-After', () => {
    assert.equal(
      backoffMs(policy, 0, 'rate_limited', undefined, () => 1),
      60_000,
    );
    assert.equal(
      backoffMs(policy, 0, 'server', 5000, () => 0),
      5000,
    );
    assert.equal(
      backoffMs({ ...policy, maxRetryAfterMs: 10_000 }, 0, 'server', 86_400_000, () => 0),
      10_000,
    );
    assert.equal(backoffMs(policy, 5, 'auth', undefined), 0);
  });
});
