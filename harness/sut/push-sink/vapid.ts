import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { keyHash } from './subscriptions.ts';

/**
 * RFC 8292 VAPID verification for `Authorization: vapid t=<JWT>, k=<key>`. The expensive part (parsing, the
 * ES256 signature, `aud`) depends only on the header string, so its verdict is cached per header; `exp` is
 * checked against the clock on every request. Messages are FCM's strings (push.md §3.2), which Chromium parses.
 */
export type VapidResult =
  | { ok: true; keyHash: Buffer; publicKey: Buffer }
  | { ok: false; status: 400 | 401 | 403; message: string };

interface CachedVerdict {
  failure?: { status: 400 | 401 | 403; message: string };
  exp: number;
  keyHash: Buffer;
  publicKey: Buffer;
}

const MAX_CACHE = 10_000;
const DAY_SECONDS = 24 * 3600;

function fail(status: 400 | 401 | 403, message: string): { ok: false; status: 400 | 401 | 403; message: string } {
  return { ok: false, status, message };
}

/** `vapid t=…, k=…` with `,` or `;` between parameters and optional spaces (push.md §3.4). */
export function parseVapidHeader(header: string): { t: string; k: string } | undefined {
  const match = /^vapid\s+(.+)$/i.exec(header.trim());
  if (!match?.[1]) return undefined;
  const params: Record<string, string> = {};
  for (const part of match[1].split(/\s*[,;]\s*/)) {
    const eq = part.indexOf('=');
    if (eq > 0) params[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  return params.t && params.k ? { t: params.t, k: params.k } : undefined;
}

export class VapidVerifier {
  private readonly cache = new Map<string, CachedVerdict>();
  verified = 0;
  cacheHits = 0;

  /** `origin` is the push resource's origin (`https://127.0.0.1:<port>`), the only acceptable `aud`. */
  constructor(private readonly origin: string) {}

  check(header: string | undefined, nowSeconds: number): VapidResult {
    if (!header) return fail(401, 'missing authorization header');
    let verdict = this.cache.get(header);
    if (verdict) this.cacheHits++;
    else {
      verdict = this.verify(header);
      if (this.cache.size >= MAX_CACHE) this.cache.clear();
      this.cache.set(header, verdict);
      this.verified++;
    }
    if (verdict.failure) return { ok: false, ...verdict.failure };
    if (verdict.exp <= nowSeconds) return fail(403, 'token has expired');
    if (verdict.exp > nowSeconds + DAY_SECONDS) {
      return fail(403, 'exp claim MUST NOT be more than 24 hours from the time of the request');
    }
    return { ok: true, keyHash: verdict.keyHash, publicKey: verdict.publicKey };
  }

  private verify(header: string): CachedVerdict {
    const empty = Buffer.alloc(0);
    const failed = (status: 400 | 401 | 403, message: string): CachedVerdict => ({
      failure: { status, message },
      exp: 0,
      keyHash: empty,
      publicKey: empty,
    });
    const parsed = parseVapidHeader(header);
    if (!parsed) {
      return failed(
        401,
        'authorization header had invalid format. authorization header should have the following format: vapid t=jwtToken; k=base64(publicApplicationServerKey)',
      );
    }
    const rawKey = Buffer.from(parsed.k, 'base64url');
    if (rawKey.length !== 65 || rawKey[0] !== 4) return failed(403, 'public key must be 65 bytes long');
    let key: KeyObject;
    try {
      key = createPublicKey({
        format: 'jwk',
        key: {
          kty: 'EC',
          crv: 'P-256',
          x: rawKey.subarray(1, 33).toString('base64url'),
          y: rawKey.subarray(33, 65).toString('base64url'),
        },
      });
    } catch {
      return failed(403, 'VAPID public key must be on the P-256 curve');
    }
    const parts = parsed.t.split('.');
    if (parts.length !== 3) return failed(403, 'invalid JWT provided');
    const [h, p, s] = parts as [string, string, string];
    let jwtHeader: { alg?: unknown };
    let claims: { aud?: unknown; exp?: unknown; sub?: unknown };
    try {
      jwtHeader = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      return failed(403, 'invalid JWT provided');
    }
    if (jwtHeader?.alg !== 'ES256' || !claims || typeof claims !== 'object') {
      return failed(403, 'invalid JWT provided');
    }
    const signature = Buffer.from(s, 'base64url');
    const ok =
      signature.length === 64 &&
      verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (!ok) return failed(403, 'invalid JWT provided');
    if (typeof claims.aud !== 'string') return failed(403, 'invalid aud claim');
    if (claims.aud !== this.origin) {
      return failed(403, 'aud claim in the token MUST include the origin of the push resource URL');
    }
    if (claims.exp === undefined) return failed(403, 'exp claim is missing');
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return failed(403, 'invalid exp claim');
    if (claims.sub !== undefined && (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub))) {
      return failed(403, 'sub claim must be a mailto: or https: URL');
    }
    return { exp: claims.exp, keyHash: keyHash(rawKey), publicKey: rawKey };
  }
}
