import { randomBytes, verify } from 'node:crypto';
import { issueAccessToken, SCOPE_FCM } from './access-tokens.ts';
import type { SinkReply } from './reply.ts';
import type { SinkContext } from './sink-context.ts';

/**
 * `POST /token`: Google's OAuth2 JWT-bearer grant (RFC 7523) as google-auth-library uses it (push.md §1.1).
 * The assertion must be RS256-signed by the sink's service account; answers and errors are Google's.
 */
const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const FCM_SCOPES = new Set([
  'https://www.googleapis.com/auth/firebase.messaging',
  'https://www.googleapis.com/auth/cloud-platform',
]);
/** Google's audiences for this grant: senders that hard-code the real token URL still pass (push.md §1.1). */
const GOOGLE_AUDIENCES = ['https://oauth2.googleapis.com/token', 'https://www.googleapis.com/oauth2/v4/token'];
const CLOCK_SKEW_SECONDS = 300;

function oauthError(status: number, error: string, description: string): SinkReply {
  return {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-cache, no-store, max-age=0, must-revalidate',
    },
    body: `{\n  "error": ${JSON.stringify(error)},\n  "error_description": ${JSON.stringify(description)}\n}`,
  };
}

const SHORT_LIVED =
  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';

export type TokenOutcome = { reply: SinkReply; reason: string };

export function handleTokenRequest(ctx: SinkContext, contentType: string | undefined, body: Buffer): TokenOutcome {
  const fail = (status: number, error: string, description: string, reason: string): TokenOutcome => ({
    reply: oauthError(status, error, description),
    reason,
  });
  if (!contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return fail(
      400,
      'invalid_request',
      'Invalid Content-Type: expected application/x-www-form-urlencoded',
      'bad_request',
    );
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const grantType = form.get('grant_type');
  if (!grantType) return fail(400, 'invalid_request', 'Missing required parameter: grant_type', 'bad_request');
  if (grantType !== GRANT_TYPE)
    return fail(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`, 'bad_grant_type');
  const assertion = form.get('assertion');
  if (!assertion) return fail(400, 'invalid_request', 'Missing required parameter: assertion', 'bad_request');

  const parts = assertion.split('.');
  if (parts.length !== 3) return fail(400, 'invalid_grant', 'Invalid JWT Signature.', 'bad_signature');
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: unknown; kid?: unknown };
  let claims: { iss?: unknown; scope?: unknown; aud?: unknown; iat?: unknown; exp?: unknown };
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    return fail(400, 'invalid_grant', 'Invalid JWT Signature.', 'bad_signature');
  }
  if (claims?.iss !== ctx.serviceAccount.clientEmail) {
    return fail(401, 'invalid_client', 'The OAuth client was not found.', 'unknown_client');
  }
  if (header?.alg !== 'RS256') return fail(400, 'invalid_grant', 'Invalid JWT Signature.', 'bad_signature');
  const signatureOk = verify(
    'RSA-SHA256',
    Buffer.from(`${h}.${p}`),
    ctx.serviceAccount.publicKey,
    Buffer.from(s, 'base64url'),
  );
  if (!signatureOk) return fail(400, 'invalid_grant', 'Invalid JWT Signature.', 'bad_signature');

  const audiences = [`${ctx.origin}/token`, ...GOOGLE_AUDIENCES];
  if (typeof claims.aud !== 'string' || !audiences.includes(claims.aud)) {
    return fail(400, 'invalid_grant', 'Invalid JWT: Failed audience check.', 'bad_audience');
  }
  const now = Math.floor(Date.now() / 1000);
  const { iat, exp } = claims;
  if (
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    exp <= iat ||
    exp - iat > 3600 ||
    iat > now + CLOCK_SKEW_SECONDS ||
    exp < now - CLOCK_SKEW_SECONDS
  ) {
    return fail(400, 'invalid_grant', SHORT_LIVED, 'bad_timeframe');
  }
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(/\s+/).filter(Boolean) : [];
  if (scopes.length === 0)
    return fail(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.', 'bad_scope');

  const ttl = ctx.config.fcm.accessTokenTtlSeconds;
  const token = issueAccessToken(
    ctx.authKey,
    { expiresAt: now + ttl, scopes: scopes.some((scope) => FCM_SCOPES.has(scope)) ? SCOPE_FCM : 0 },
    randomBytes(8),
  );
  return {
    reply: {
      status: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-cache, no-store, max-age=0, must-revalidate',
      },
      body: `{\n  "access_token": "${token}",\n  "expires_in": ${ttl},\n  "token_type": "Bearer"\n}`,
    },
    reason: 'granted',
  };
}
