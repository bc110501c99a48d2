import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fcmErrors, GOOGLE_JSON } from './fcm-errors.ts';
import { validateSendBody } from './fcm-message.ts';

/** The bodies of push.md §1.5, verbatim (project number placeholders filled in). */
const REFERENCE = {
  unregistered: {
    error: {
      code: 404,
      message: 'Requested entity was not found.',
      status: 'NOT_FOUND',
      details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }],
    },
  },
  invalidToken: {
    error: {
      code: 400,
      message: 'The registration token is not a valid FCM registration token',
      status: 'INVALID_ARGUMENT',
      details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'INVALID_ARGUMENT' }],
    },
  },
  badField: {
    error: {
      code: 400,
      message: "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
      status: 'INVALID_ARGUMENT',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: [
            {
              field: 'message.data[0].value',
              description: "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
            },
          ],
        },
      ],
    },
  },
  senderIdMismatch: {
    error: {
      code: 403,
      message: 'SenderId mismatch',
      status: 'PERMISSION_DENIED',
      details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'SENDER_ID_MISMATCH' }],
    },
  },
  projectQuota: {
    error: {
      code: 429,
      message:
        "Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute' of service 'fcm.googleapis.com' for consumer 'project_number:123456789012'.",
      status: 'RESOURCE_EXHAUSTED',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'RATE_LIMIT_EXCEEDED',
          domain: 'googleapis.com',
          metadata: {
            quota_metric: 'fcm.googleapis.com/send_requests',
            quota_limit: 'SendsPerMinutePerProject',
            quota_unit: '1/min/{project}',
            service: 'fcm.googleapis.com',
            consumer: 'projects/123456789012',
            quota_limit_value: '600000',
            quota_location: 'global',
          },
        },
        {
          '@type': 'type.googleapis.com/google.rpc.Help',
          links: [
            {
              description: 'Request a higher quota limit.',
              url: 'https://cloud.google.com/docs/quotas/help/request_increase',
            },
          ],
        },
      ],
    },
  },
};

function body(reply: { body: string | Buffer; headers: Record<string, string> }): unknown {
  assert.equal(reply.headers['content-type'], GOOGLE_JSON);
  return JSON.parse(String(reply.body));
}

test('FCM error bodies match push.md §1.5 exactly', () => {
  assert.deepEqual(body(fcmErrors.unregistered()), REFERENCE.unregistered);
  assert.deepEqual(body(fcmErrors.invalidToken()), REFERENCE.invalidToken);
  assert.deepEqual(body(validateSendBodyReply({ message: { token: 't', data: { a: 12 } } })), REFERENCE.badField);
  assert.deepEqual(body(fcmErrors.senderIdMismatch()), REFERENCE.senderIdMismatch);
  const quota = fcmErrors.projectQuota('123456789012', 600_000, 60);
  assert.deepEqual(body(quota), REFERENCE.projectQuota);
  assert.equal(quota.headers['retry-after'], '60');
  assert.equal(quota.status, 429);
});

test('Google pretty-prints its JSON with two spaces', () => {
  assert.ok(String(fcmErrors.unregistered().body).startsWith('{\n  "error": {\n    "code": 404,'));
});

test('401s carry the WWW-Authenticate challenge; invalid tokens say error="invalid_token"', () => {
  const missing = fcmErrors.missingCredential();
  assert.equal(missing.status, 401);
  assert.equal(missing.headers['www-authenticate'], 'Bearer realm="https://accounts.google.com/"');
  const invalid = fcmErrors.invalidCredential();
  assert.equal(
    invalid.headers['www-authenticate'],
    'Bearer realm="https://accounts.google.com/", error="invalid_token"',
  );
  assert.equal((body(invalid) as { error: { status: string } }).error.status, 'UNAUTHENTICATED');
});

test('per-device 429 is QUOTA_EXCEEDED with a QuotaFailure; 503 may carry Retry-After', () => {
  const device = body(fcmErrors.deviceQuota(undefined)) as {
    error: { status: string; details: { errorCode?: string }[] };
  };
  assert.equal(device.error.status, 'RESOURCE_EXHAUSTED');
  assert.equal(device.error.details[0]?.errorCode, 'QUOTA_EXCEEDED');
  assert.equal(fcmErrors.unavailable(5).headers['retry-after'], '5');
  assert.equal(fcmErrors.unavailable(undefined).headers['retry-after'], undefined);
});

function validateSendBodyReply(value: unknown) {
  const verdict = validateSendBody(value);
  assert.equal(verdict.ok, false);
  if (verdict.ok) throw new Error('unreachable');
  return verdict.reply;
}

function errorOf(value: unknown): { status: number; message: string } {
  const reply = validateSendBodyReply(value);
  const parsed = JSON.parse(String(reply.body)) as { error: { message: string } };
  return { status: reply.status, message: parsed.error.message };
}

test('a valid message yields its target and the bench convention', () => {
  const verdict = validateSendBody({
    validate_only: true,
    message: {
      token: 'tok',
      data: { bench_push_id: 'p-1', bench_t: '123456' },
      android: { ttl: '3.5s', priority: 'high' },
    },
  });
  assert.deepEqual(verdict, {
    ok: true,
    validateOnly: true,
    target: { kind: 'token', token: 'tok' },
    pushId: 'p-1',
    enqueuedUs: 123456,
  });
  assert.deepEqual(validateSendBody({ message: { topic: '/topics/news' } }), {
    ok: true,
    validateOnly: false,
    target: { kind: 'topic', topic: 'news' },
    pushId: undefined,
    enqueuedUs: undefined,
  });
});

test('exactly one target, known fields, string data, sane TTL and priority, size limits', () => {
  assert.deepEqual(errorOf({ message: { data: { a: 'b' } } }), {
    status: 400,
    message: 'Request contains an invalid argument.',
  });
  assert.match(errorOf({ message: { token: 'a', topic: 'b' } }).message, /Oneof field 'target' is already set/);
  assert.match(errorOf({ message: { token: 'a', colour: 'red' } }).message, /Unknown name "colour" at 'message'/);
  assert.match(errorOf({ mesage: {} }).message, /Unknown name "mesage"/);
  assert.deepEqual(errorOf({ message: { token: 'a', data: { from: 'x' } } }).status, 400);
  assert.match(errorOf({ message: { token: 'a', android: { ttl: 60 } } }).message, /message.android.ttl.*Duration/);
  assert.equal(errorOf({ message: { token: 'a', android: { ttl: '2419201s' } } }).status, 400);
  assert.match(errorOf({ message: { token: 'a', android: { priority: 'urgent' } } }).message, /AndroidMessagePriority/);
  assert.equal(errorOf({ message: { topic: 'bad topic!' } }).status, 400);
  assert.equal(validateSendBody({ message: { token: 'a', data: { a: 'x'.repeat(4095) } } }).ok, true);
  assert.equal(
    errorOf({ message: { token: 'a', data: { a: 'x'.repeat(4096) } } }).message,
    'Android message is too big',
  );
  assert.equal(
    errorOf({ message: { topic: 'news', data: { a: 'x'.repeat(2048) } } }).message,
    'Android message is too big',
  );
});
