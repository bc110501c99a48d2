import type { SinkReply } from './reply.ts';

/**
 * Web Push error answers shaped like Mozilla autopush's (`{code, errno, error, message, more_info}`,
 * errno table in push.md §3.2); VAPID refusals carry FCM's message strings, which Chromium parses.
 */
const MORE_INFO = 'http://autopush.readthedocs.io/en/latest/http.html#error-codes';
const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  410: 'Gone',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function webPushError(
  status: number,
  errno: number,
  message: string,
  headers: Record<string, string> = {},
): SinkReply {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ code: status, errno, error: REASONS[status] ?? 'Error', message, more_info: MORE_INFO }),
  };
}

export const webPushErrors = {
  unknownSubscription: () => webPushError(404, 102, 'Invalid endpoint: no such subscription'),
  expired: () => webPushError(410, 103, 'Push subscription has unsubscribed or expired.'),
  gone: () => webPushError(410, 106, 'Push subscription has unsubscribed or expired.'),
  missingTtl: () => webPushError(400, 111, 'Missing TTL header'),
  invalidTtl: () => webPushError(400, 112, 'Invalid TTL header: expected a non-negative integer number of seconds'),
  invalidTopic: () => webPushError(400, 113, 'Topic must be at most 32 characters of the URL-safe base64 alphabet'),
  invalidUrgency: () => webPushError(400, 114, 'Urgency must be one of very-low, low, normal, high'),
  invalidEncoding: (detail: string) => webPushError(400, 110, detail),
  tooLarge: () => webPushError(413, 104, 'Message body too large: at most 4096 octets'),
  vapid: (status: 400 | 401 | 403, message: string) => webPushError(status, 109, message),
  injected: (status: number, retryAfterSeconds: number | undefined) => {
    const headers: Record<string, string> =
      retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
    if (status === 429) return webPushError(429, 0, 'Too many requests: slow down', headers);
    if (status === 503) return webPushError(503, 201, 'Service unavailable: use exponential back-off', headers);
    if (status === 502) return webPushError(502, 900, 'Bad gateway: upstream bridge error', headers);
    return webPushError(500, 999, 'An unexpected server error occurred', headers);
  },
};
