import { fcmErrors, type GoogleReply } from './fcm-errors.ts';

/**
 * Validation of a `messages:send` body, limited to what decides the outcome (push.md §5: keep the hot path
 * small): the shape Google's JSON→proto parser enforces on the fields senders get wrong, exactly one target,
 * string data values, reserved keys, `android.ttl` / `priority`, topic names, and the payload size.
 */
export const MAX_PAYLOAD_BYTES = 4096;
export const MAX_TOPIC_PAYLOAD_BYTES = 2048;
const MAX_TTL_SECONDS = 2_419_200;

export type FcmTarget = { kind: 'token'; token: string } | { kind: 'topic'; topic: string } | { kind: 'condition' };

export interface ValidMessage {
  ok: true;
  validateOnly: boolean;
  target: FcmTarget;
  /** The bench convention (README): the relay's push id and enqueue time (µs, CLOCK_MONOTONIC). */
  pushId: string | undefined;
  enqueuedUs: number | undefined;
}

export type MessageVerdict = ValidMessage | { ok: false; reply: GoogleReply };

const BODY_KEYS = new Set(['message', 'validate_only', 'validateOnly']);
const MESSAGE_KEYS = new Set([
  'name',
  'data',
  'notification',
  'android',
  'webpush',
  'apns',
  'fcm_options',
  'fcmOptions',
  'token',
  'topic',
  'condition',
  'fid',
]);
const TARGETS = ['token', 'topic', 'condition', 'fid'] as const;
const TOPIC_RE = /^[a-zA-Z0-9-_.~%]+$/;
const TTL_RE = /^\d+(\.\d{1,9})?s$/;

const fail = (reply: GoogleReply): MessageVerdict => ({ ok: false, reply });
const unknownName = (name: string, at?: string) =>
  fail(
    fcmErrors.badField(
      undefined,
      `Invalid JSON payload received. Unknown name "${name}"${at ? ` at '${at}'` : ''}: Cannot find field.`,
    ),
  );

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isReservedKey(key: string): boolean {
  return key === 'from' || key === 'message_type' || key.startsWith('google.') || key.startsWith('gcm.');
}

/** Bytes of the keys and string values of a payload part (data, notification, …). */
function payloadBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + payloadBytes(v), 0);
  if (isObject(value)) {
    let n = 0;
    for (const key in value) n += Buffer.byteLength(key) + payloadBytes(value[key]);
    return n;
  }
  return value === undefined || value === null ? 0 : String(value).length;
}

function checkData(data: unknown, field: string): MessageVerdict | undefined {
  if (data === undefined) return undefined;
  if (!isObject(data)) {
    return fail(
      fcmErrors.badField(
        field,
        `Invalid value at '${field}' (type.googleapis.com/google.protobuf.Map), ${JSON.stringify(data)}`,
      ),
    );
  }
  let i = 0;
  for (const key in data) {
    const value = data[key];
    if (typeof value !== 'string') {
      const at = `${field}[${i}].value`;
      return fail(fcmErrors.badField(at, `Invalid value at '${at}' (TYPE_STRING), ${JSON.stringify(value)}`));
    }
    if (isReservedKey(key)) return fail(fcmErrors.invalidArgument());
    i++;
  }
  return undefined;
}

function checkAndroid(android: unknown): MessageVerdict | undefined {
  if (android === undefined) return undefined;
  if (!isObject(android)) return fail(fcmErrors.invalidArgument());
  const ttl = android.ttl;
  if (ttl !== undefined) {
    if (typeof ttl !== 'string' || !TTL_RE.test(ttl)) {
      return fail(
        fcmErrors.badField(
          'message.android.ttl',
          `Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), ${JSON.stringify(ttl)}`,
        ),
      );
    }
    if (Number.parseFloat(ttl) > MAX_TTL_SECONDS) return fail(fcmErrors.invalidArgument());
  }
  const priority = android.priority;
  if (priority !== undefined && !['normal', 'high', 'NORMAL', 'HIGH'].includes(priority as string)) {
    return fail(
      fcmErrors.badField(
        'message.android.priority',
        `Invalid value at 'message.android.priority' (type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority), ${JSON.stringify(priority)}`,
      ),
    );
  }
  return checkData(android.data, 'message.android.data');
}

export function validateSendBody(body: unknown): MessageVerdict {
  if (!isObject(body)) {
    return fail(fcmErrors.badField(undefined, 'Invalid JSON payload received. Expected an object.'));
  }
  for (const key in body) if (!BODY_KEYS.has(key)) return unknownName(key);
  const message = body.message;
  if (!isObject(message)) return fail(fcmErrors.invalidArgument());
  for (const key in message) if (!MESSAGE_KEYS.has(key)) return unknownName(key, 'message');

  let target: FcmTarget | undefined;
  let targets = 0;
  for (const name of TARGETS) {
    const value = message[name];
    if (value === undefined) continue;
    if (++targets > 1) {
      return fail(
        fcmErrors.badField(
          undefined,
          `Invalid JSON payload received. Oneof field 'target' is already set. Cannot set '${name}'`,
        ),
      );
    }
    if (typeof value !== 'string') {
      return fail(
        fcmErrors.badField(
          `message.${name}`,
          `Invalid value at 'message.${name}' (TYPE_STRING), ${JSON.stringify(value)}`,
        ),
      );
    }
    if (name === 'token' || name === 'fid') target = { kind: 'token', token: value };
    else if (name === 'topic') target = { kind: 'topic', topic: value.replace(/^\/topics\//, '') };
    else target = { kind: 'condition' };
  }
  if (!target) return fail(fcmErrors.invalidArgument());
  if (target.kind === 'topic' && !TOPIC_RE.test(target.topic)) return fail(fcmErrors.invalidArgument());

  const data = message.data;
  const dataProblem = checkData(data, 'message.data') ?? checkAndroid(message.android);
  if (dataProblem) return dataProblem;
  if (message.webpush !== undefined && isObject(message.webpush)) {
    const webpushProblem = checkData(message.webpush.data, 'message.webpush.data');
    if (webpushProblem) return webpushProblem;
  }

  const android = isObject(message.android) ? message.android : undefined;
  const webpush = isObject(message.webpush) ? message.webpush : undefined;
  const apns = isObject(message.apns) ? message.apns : undefined;
  const size =
    payloadBytes(data) +
    payloadBytes(message.notification) +
    payloadBytes(android?.data) +
    payloadBytes(android?.notification) +
    payloadBytes(webpush?.data) +
    payloadBytes(webpush?.notification) +
    payloadBytes(apns?.payload);
  if (size > (target.kind === 'token' ? MAX_PAYLOAD_BYTES : MAX_TOPIC_PAYLOAD_BYTES)) return fail(fcmErrors.tooBig());

  const fields = isObject(data) ? (data as Record<string, string>) : undefined;
  const benchT = fields?.bench_t;
  const enqueuedUs = benchT === undefined ? undefined : Number(benchT);
  return {
    ok: true,
    validateOnly: body.validate_only === true || body.validateOnly === true,
    target,
    pushId: fields?.bench_push_id,
    enqueuedUs: enqueuedUs !== undefined && Number.isFinite(enqueuedUs) ? enqueuedUs : undefined,
  };
}
