import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * OAuth2 access tokens issued by the sink's `/token`: `ya29.c.<base64url payload + MAC>`, self-validating with
 * the per-run auth key (never exported), so any worker accepts a token another worker issued.
 * Payload: [0..4) expiry (unix s) · [4] scope flags · [5..13) random nonce · then a 16-byte MAC.
 */
export const SCOPE_FCM = 1;
const PREFIX = 'ya29.c.';

export interface AccessTokenInfo {
  expiresAt: number;
  scopes: number;
}

function mac(key: Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', key).update(payload).digest().subarray(0, 16);
}

export function issueAccessToken(key: Buffer, info: AccessTokenInfo, nonce: Buffer): string {
  const payload = Buffer.alloc(13);
  payload.writeUInt32BE(info.expiresAt, 0);
  payload[4] = info.scopes;
  nonce.copy(payload, 5, 0, 8);
  return PREFIX + Buffer.concat([payload, mac(key, payload)]).toString('base64url');
}

/** The token's claims, or undefined when it was not issued with `key` (expiry is the caller's check). */
export function readAccessToken(key: Buffer, token: string): AccessTokenInfo | undefined {
  if (!token.startsWith(PREFIX) || token.length !== PREFIX.length + 39) return undefined;
  const raw = Buffer.from(token.slice(PREFIX.length), 'base64url');
  if (raw.length !== 29) return undefined;
  const payload = raw.subarray(0, 13);
  if (!timingSafeEqual(mac(key, payload), raw.subarray(13))) return undefined;
  return { expiresAt: payload.readUInt32BE(0), scopes: payload[4] ?? 0 };
}

/** Caches verdicts per token string: senders reuse one token for an hour. */
export class AccessTokenChecker {
  private readonly cache = new Map<string, AccessTokenInfo | null>();

  constructor(private readonly key: Buffer) {}

  read(token: string): AccessTokenInfo | undefined {
    let info = this.cache.get(token);
    if (info === undefined) {
      info = readAccessToken(this.key, token) ?? null;
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(token, info);
    }
    return info ?? undefined;
  }
}
