import type { SinkReply } from './reply.ts';

/**
 * FCM HTTP v1 error bodies as Google sends them (push.md §1.5): `{"error":{code, message, status, details}}`,
 * pretty-printed with two spaces like every Google API, content type `application/json; charset=UTF-8`.
 */
export const GOOGLE_JSON = 'application/json; charset=UTF-8';
const FCM_ERROR = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest';

export type GoogleReply = SinkReply;

export function googleJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function errorBody(code: number, status: string, message: string, details?: unknown[]): string {
  return googleJson({ error: details ? { code, message, status, details } : { code, message, status } });
}

function reply(status: number, body: string, headers: Record<string, string> = {}): GoogleReply {
  return { status, body, headers: { 'content-type': GOOGLE_JSON, ...headers } };
}

const fcmError = (errorCode: string) => ({ '@type': FCM_ERROR, errorCode });

const UNREGISTERED = errorBody(404, 'NOT_FOUND', 'Requested entity was not found.', [fcmError('UNREGISTERED')]);
const INVALID_TOKEN = errorBody(
  400,
  'INVALID_ARGUMENT',
  'The registration token is not a valid FCM registration token',
  [fcmError('INVALID_ARGUMENT')],
);
const INVALID_ARGUMENT = errorBody(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', [
  fcmError('INVALID_ARGUMENT'),
]);
const TOO_BIG = errorBody(400, 'INVALID_ARGUMENT', 'Android message is too big', [
  { '@type': BAD_REQUEST },
  fcmError('INVALID_ARGUMENT'),
]);
const SENDER_ID_MISMATCH = errorBody(403, 'PERMISSION_DENIED', 'SenderId mismatch', [fcmError('SENDER_ID_MISMATCH')]);
const INSUFFICIENT_SCOPES = errorBody(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', [
  {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
    domain: 'googleapis.com',
    metadata: { service: 'fcm.googleapis.com', method: 'google.firebase.fcm.v1.FcmService.SendMessage' },
  },
]);
const INTERNAL = errorBody(500, 'INTERNAL', 'Internal error encountered.', [fcmError('INTERNAL')]);
const UNAVAILABLE = errorBody(503, 'UNAVAILABLE', 'The service is currently unavailable.', [fcmError('UNAVAILABLE')]);
const DEVICE_QUOTA = errorBody(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for this device.', [
  fcmError('QUOTA_EXCEEDED'),
  {
    '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
    violations: [{ subject: 'device', description: 'Device message rate exceeded.' }],
  },
]);
const MISSING_CREDENTIAL = errorBody(
  401,
  'UNAUTHENTICATED',
  'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
);
const INVALID_CREDENTIAL = errorBody(
  401,
  'UNAUTHENTICATED',
  'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
);

function withRetryAfter(retryAfterSeconds: number | undefined): Record<string, string> {
  return retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
}

export const fcmErrors = {
  /** Bearer missing: no `error=` parameter in the challenge. */
  missingCredential: () =>
    reply(401, MISSING_CREDENTIAL, { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' }),
  /** Bearer forged or expired: the sender must fetch a new token. */
  invalidCredential: () =>
    reply(401, INVALID_CREDENTIAL, {
      'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"',
    }),
  insufficientScopes: () =>
    reply(403, INSUFFICIENT_SCOPES, {
      'www-authenticate':
        'Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="https://www.googleapis.com/auth/firebase.messaging"',
    }),
  permissionDenied: (project: string) =>
    reply(
      403,
      errorBody(
        403,
        'PERMISSION_DENIED',
        `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${project}' (or it may not exist).`,
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'IAM_PERMISSION_DENIED',
            domain: 'cloudresourcemanager.googleapis.com',
            metadata: { permission: 'cloudmessaging.messages.create', resource: `projects/${project}` },
          },
        ],
      ),
    ),
  senderIdMismatch: () => reply(403, SENDER_ID_MISMATCH),
  unregistered: () => reply(404, UNREGISTERED),
  invalidToken: () => reply(400, INVALID_TOKEN),
  invalidArgument: () => reply(400, INVALID_ARGUMENT),
  tooBig: () => reply(400, TOO_BIG),
  /** A field Google's JSON→proto parser rejects: message plus a BadRequest field violation. */
  badField: (field: string | undefined, message: string) =>
    reply(
      400,
      errorBody(400, 'INVALID_ARGUMENT', message, [
        { '@type': BAD_REQUEST, fieldViolations: [field ? { field, description: message } : { description: message }] },
      ]),
    ),
  projectQuota: (projectNumber: string, perMinute: number, retryAfterSeconds: number | undefined) =>
    reply(
      429,
      errorBody(
        429,
        'RESOURCE_EXHAUSTED',
        `Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute' of service 'fcm.googleapis.com' for consumer 'project_number:${projectNumber}'.`,
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'RATE_LIMIT_EXCEEDED',
            domain: 'googleapis.com',
            metadata: {
              quota_metric: 'fcm.googleapis.com/send_requests',
              quota_limit: 'SendsPerMinutePerProject',
              quota_unit: '1/min/{project}',
              service: 'fcm.googleapis.com',
              consumer: `projects/${projectNumber}`,
              quota_limit_value: String(perMinute),
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
      ),
      withRetryAfter(retryAfterSeconds),
    ),
  deviceQuota: (retryAfterSeconds: number | undefined) => reply(429, DEVICE_QUOTA, withRetryAfter(retryAfterSeconds)),
  internal: () => reply(500, INTERNAL),
  unavailable: (retryAfterSeconds: number | undefined) => reply(503, UNAVAILABLE, withRetryAfter(retryAfterSeconds)),
};
