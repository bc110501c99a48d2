import { monoUs } from '../../common/mono-clock.ts';
import { badRequest } from './api-error.ts';
import type { DeviceFilter, Notification, SupportedProvider } from './api-schemas.ts';
import type { Target } from './device-store.ts';

/**
 * A notification as it travels through the queue: provider payloads checked once at the API, bench receipt
 * fields added, serialised so a worker only splices in the device's token.
 */
export interface PreparedNotification {
  /** FCM `message` JSON without a target. */
  f?: string;
  /** Web Push request headers (TTL, Urgency, Topic, X-Bench-*) and plaintext payload. */
  w?: { h: Record<string, string>; p: string };
}

/** A send-stream entry: up to one provider batch of devices, one notification. */
export interface SendBatch {
  tg: Target[];
  n: PreparedNotification;
  /** expire_at in ms since the epoch; 0 = none. */
  x: number;
  /** Attempts already made for these targets (0 for a fresh entry). */
  a: number;
}

/** A job-stream entry: a filter recipient to fan out (or, for a scheduled raw-token push, its tokens). */
export interface FanoutJob {
  f: DeviceFilter;
  pv: SupportedProvider[];
  n: PreparedNotification;
  x: number;
  /** Raw-token recipients of a scheduled push: no device lookup, one step. */
  tg?: Target[];
}

export interface PrepareLimits {
  maxFcmMessageBytes: number;
  maxWebPushPayloadBytes: number;
}

/** Current time on CLOCK_MONOTONIC in µs (harness/common/mono-clock.ts), as `bench_t` carries it. */
export function monotonicMicros(): string {
  return String(monoUs());
}

const URGENCIES = new Set(['very-low', 'low', 'normal', 'high']);

function prepareFcm(message: Record<string, unknown>, uid: string, benchT: string, limits: PrepareLimits): string {
  const field = 'notification.fcm.message';
  for (const target of ['topic', 'condition', 'fid'] as const) {
    if (target in message) {
      throw badRequest(`${field}.${target}: the relay sends to each recipient device; leave the target out`);
    }
  }
  const { token: _token, ...rest } = message; // the device's token is set per send, as PRO does
  const data = rest.data ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw badRequest(`${field}.data: must be an object of string values`);
  }
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string') {
      throw badRequest(`${field}.data.${key}: must be a string (FCM data values are strings), got ${typeof value}`);
    }
  }
  const benchData = data as Record<string, string>;
  const withBench = {
    ...rest,
    data: { ...benchData, bench_push_id: benchData.bench_push_id ?? uid, bench_t: benchData.bench_t ?? benchT },
  };
  const json = JSON.stringify(withBench);
  const bytes = Buffer.byteLength(json);
  if (bytes > limits.maxFcmMessageBytes) {
    throw badRequest(
      `${field}: payload is ${bytes} bytes with the relay's receipt fields, over the ${limits.maxFcmMessageBytes}-byte limit`,
    );
  }
  return json;
}

function prepareWebPush(
  webpush: NonNullable<Notification['webpush']>,
  uid: string,
  benchT: string,
  limits: PrepareLimits,
): { h: Record<string, string>; p: string } {
  const field = 'notification.webpush';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(webpush.headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower === 'ttl') {
      if (!/^\d+$/.test(value)) throw badRequest(`${field}.headers.TTL: must be a non-negative integer (seconds)`);
      headers.TTL = value;
    } else if (lower === 'urgency') {
      if (!URGENCIES.has(value)) throw badRequest(`${field}.headers.Urgency: must be very-low, low, normal or high`);
      headers.Urgency = value;
    } else if (lower === 'topic') {
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(value)) {
        throw badRequest(`${field}.headers.Topic: at most 32 characters of the base64url alphabet`);
      }
      headers.Topic = value;
    } else if (lower === 'x-bench-push-id') headers['X-Bench-Push-Id'] = value;
    else if (lower === 'x-bench-t') headers['X-Bench-T'] = value;
    else throw badRequest(`${field}.headers.${name}: not a Web Push header the relay sends (TTL, Urgency, Topic)`);
  }
  headers['X-Bench-Push-Id'] ??= uid;
  headers['X-Bench-T'] ??= benchT;
  const payload =
    webpush.payload === undefined || webpush.payload === null
      ? ''
      : typeof webpush.payload === 'string'
        ? webpush.payload
        : JSON.stringify(webpush.payload);
  const bytes = Buffer.byteLength(payload);
  if (bytes > limits.maxWebPushPayloadBytes) {
    throw badRequest(
      `${field}.payload: ${bytes} bytes, over the ${limits.maxWebPushPayloadBytes}-byte limit of one aes128gcm record`,
    );
  }
  return { h: headers, p: payload };
}

/**
 * Checks the provider payloads and adds the bench receipt fields: FCM `data.bench_push_id` / `data.bench_t`,
 * Web Push headers `X-Bench-Push-Id` / `X-Bench-T` (push id = uid, t = enqueue time, µs CLOCK_MONOTONIC).
 * Values the caller set already are kept, so a load generator can stamp its intended send time.
 */
export function prepareNotification(
  notification: Notification,
  uid: string,
  limits: PrepareLimits,
): PreparedNotification {
  if (notification.hms !== undefined)
    throw badRequest('notification.hms: provider hms is not supported by this relay (fcm, webpush)');
  if (notification.apns !== undefined) {
    throw badRequest('notification.apns: provider apns is not supported by this relay (fcm, webpush)');
  }
  const benchT = monotonicMicros();
  const prepared: PreparedNotification = {};
  if (notification.fcm) prepared.f = prepareFcm(notification.fcm.message, uid, benchT, limits);
  if (notification.webpush) prepared.w = prepareWebPush(notification.webpush, uid, benchT, limits);
  if (!prepared.f && !prepared.w) throw badRequest('notification: give fcm.message and/or webpush.payload');
  return prepared;
}

/** The FCM request body for one device: `{"message":{"token":…, …prepared}}` without re-serialising. */
export function fcmRequestBody(prepared: string, token: string): string {
  const rest = prepared === '{}' ? '}' : `,${prepared.slice(1)}`;
  return `{"message":{"token":${JSON.stringify(token)}${rest}}`;
}
