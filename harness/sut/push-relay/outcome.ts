/**
 * What one provider answer means for one device message (reference push.md §1.4, §1.8, §3.1, §7):
 * delivered, failed for good (with a reason for the ledger, and whether the token is dead), or worth
 * another attempt (with the kind of backoff and the server's Retry-After).
 */
export type Outcome =
  | { kind: 'delivered' }
  | { kind: 'failed'; reason: string; dead: boolean }
  | { kind: 'retry'; cause: 'rate_limited' | 'server' | 'network' | 'auth'; retryAfterMs?: number; status?: number };

/** `Retry-After`: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  const trimmed = raw.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

interface GoogleErrorBody {
  error?: { code?: number; message?: string; status?: string; details?: { '@type'?: string; errorCode?: string }[] };
}

/** FCM's error code as firebase-admin looks it up: FcmError detail first, then `error.status`. */
export function fcmErrorCode(body: string): { code: string | undefined; message: string } {
  let parsed: GoogleErrorBody;
  try {
    parsed = JSON.parse(body) as GoogleErrorBody;
  } catch {
    return { code: undefined, message: body.slice(0, 200) };
  }
  const detail = parsed.error?.details?.find(
    (d) => d['@type'] === 'type.googleapis.com/google.firebase.fcm.v1.FcmError',
  );
  return { code: detail?.errorCode ?? parsed.error?.status, message: parsed.error?.message ?? '' };
}

export function classifyFcm(status: number, body: string, retryAfter?: string | string[]): Outcome {
  if (status === 200) return { kind: 'delivered' };
  const retryAfterMs = parseRetryAfter(retryAfter);
  if (status === 429) return { kind: 'retry', cause: 'rate_limited', retryAfterMs, status };
  if (status >= 500) return { kind: 'retry', cause: 'server', retryAfterMs, status };
  const { code, message } = fcmErrorCode(body);
  if (status === 401) {
    // An expired or revoked access token: fetch a new one and try again. A broken APNs/web credential
    // (THIRD_PARTY_AUTH_ERROR) does not heal by retrying.
    if (code === 'THIRD_PARTY_AUTH_ERROR' || code === 'APNS_AUTH_ERROR') {
      return { kind: 'failed', reason: 'third_party_auth_error', dead: false };
    }
    return { kind: 'retry', cause: 'auth', status };
  }
  if (status === 404 || code === 'UNREGISTERED') return { kind: 'failed', reason: 'unregistered', dead: true };
  if (status === 403) {
    if (code === 'SENDER_ID_MISMATCH') return { kind: 'failed', reason: 'sender_id_mismatch', dead: false };
    return { kind: 'failed', reason: 'permission_denied', dead: false };
  }
  if (status === 400) {
    // A malformed token is as dead as an unregistered one (manage-tokens doc): delete it.
    if (/registration token/i.test(message)) return { kind: 'failed', reason: 'invalid_token', dead: true };
    if (/too big|too large/i.test(message)) return { kind: 'failed', reason: 'payload_too_large', dead: false };
    return { kind: 'failed', reason: 'invalid_argument', dead: false };
  }
  return { kind: 'failed', reason: `http_${status}`, dead: false };
}

export function classifyWebPush(status: number, retryAfter?: string | string[]): Outcome {
  if (status === 201 || status === 200 || status === 202) return { kind: 'delivered' };
  const retryAfterMs = parseRetryAfter(retryAfter);
  if (status === 429) return { kind: 'retry', cause: 'rate_limited', retryAfterMs, status };
  if (status >= 500) return { kind: 'retry', cause: 'server', retryAfterMs, status };
  if (status === 410) return { kind: 'failed', reason: 'webpush_gone', dead: true };
  if (status === 404) return { kind: 'failed', reason: 'webpush_not_found', dead: true };
  if (status === 413) return { kind: 'failed', reason: 'payload_too_large', dead: false };
  if (status === 401 || status === 403) return { kind: 'failed', reason: 'vapid_rejected', dead: false };
  if (status === 400) return { kind: 'failed', reason: 'invalid_request', dead: false };
  return { kind: 'failed', reason: `http_${status}`, dead: false };
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  rateLimitedInitialDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
}

/**
 * Delay before attempt `attempt + 1` (attempt counts from 0): exponential from the cause's initial delay,
 * "equal jitter" (half fixed, half random: retries of one burst spread out, none comes back early), never
 * sooner than the server's Retry-After. An auth retry goes at once (a new access token is the fix).
 */
export function backoffMs(
  policy: RetryPolicy,
  attempt: number,
  cause: 'rate_limited' | 'server' | 'network' | 'auth',
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (cause === 'auth') return 0;
  const initial = cause === 'rate_limited' ? policy.rateLimitedInitialDelayMs : policy.baseDelayMs;
  const exponential = Math.min(policy.maxDelayMs, initial * 2 ** Math.min(attempt, 30));
  const jittered = exponential / 2 + random() * (exponential / 2);
  const floor = retryAfterMs === undefined ? 0 : Math.min(retryAfterMs, policy.maxRetryAfterMs);
  return Math.round(Math.max(jittered, floor));
}
