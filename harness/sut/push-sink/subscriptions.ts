import { createECDH, createHash, type ECDH, timingSafeEqual } from 'node:crypto';
import { hashFraction, hmac, MAX_INDEX, seedKey, writeIndex } from './seed-key.ts';

/**
 * Web Push subscriptions minted by the sink. The id in `https://<origin>/wp/<id>` is base64url of 32 bytes:
 *   [0] version 1 · [1] flags (bit 0 dead, bit 1 restricted) · [2..8) index · [8..12) expiry (unix s, 0 = never)
 *   · [12..20) SHA-256 prefix of the application server key (restricted) · [20..32) MAC
 * The user agent's ECDH key pair and auth secret are HMAC-derived from (seed, index), so every process can
 * decrypt without shared state.
 */
const VERSION = 1;
const FLAG_DEAD = 1;
const FLAG_RESTRICTED = 2;
const ID_BYTES = 32;
const ID_RE = /^[A-Za-z0-9_-]{43}$/;

export interface SubscriptionOptions {
  dead?: boolean;
  /** Unix seconds after which the subscription answers 410. */
  expiresAt?: number;
  /** base64url of the uncompressed P-256 application server key: makes the subscription restricted. */
  applicationServerKey?: string;
}

export interface PushSubscriptionJson {
  endpoint: string;
  expirationTime: number | null;
  keys: { p256dh: string; auth: string };
}

export function keyHash(rawKey: Buffer): Buffer {
  return createHash('sha256').update(rawKey).digest().subarray(0, 8);
}

/** The user agent's side of subscription `index`: its ECDH key pair and auth secret. */
export interface UserAgentKeys {
  ecdh: ECDH;
  publicKey: Buffer;
  authSecret: Buffer;
}

export function userAgentKeys(key: Buffer, index: number): UserAgentKeys {
  const idx = Buffer.alloc(6);
  writeIndex(idx, 0, index);
  const ecdh = createECDH('prime256v1');
  // A 256-bit HMAC output is a valid P-256 scalar except with probability ~2^-32; rehash in that case.
  for (let attempt = 0; ; attempt++) {
    try {
      ecdh.setPrivateKey(hmac(key, 'wp-ecdh\0', idx, String(attempt)));
      break;
    } catch (error) {
      if (attempt > 8) throw error;
    }
  }
  return { ecdh, publicKey: ecdh.getPublicKey(), authSecret: hmac(key, 'wp-auth\0', idx).subarray(0, 16) };
}

export function subscriptionId(key: Buffer, index: number, options: SubscriptionOptions = {}): string {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_INDEX) throw new RangeError(`bad index ${index}`);
  const id = Buffer.alloc(ID_BYTES);
  id[0] = VERSION;
  id[1] = (options.dead ? FLAG_DEAD : 0) | (options.applicationServerKey ? FLAG_RESTRICTED : 0);
  writeIndex(id, 2, index);
  id.writeUInt32BE(options.expiresAt ?? 0, 8);
  if (options.applicationServerKey) keyHash(Buffer.from(options.applicationServerKey, 'base64url')).copy(id, 12);
  hmac(key, 'wp\0', id.subarray(0, 20)).copy(id, 20, 0, 12);
  return id.toString('base64url');
}

/** Subscription number `index` as a browser's `PushSubscription.toJSON()`. Pure and deterministic. */
export function webPushSubscription(
  seed: string | Buffer,
  origin: string,
  index: number,
  options: SubscriptionOptions = {},
): PushSubscriptionJson {
  const key = typeof seed === 'string' ? seedKey(seed) : seed;
  const ua = userAgentKeys(key, index);
  return {
    endpoint: `${origin}/wp/${subscriptionId(key, index, options)}`,
    expirationTime: options.expiresAt ? options.expiresAt * 1000 : null,
    keys: { p256dh: ua.publicKey.toString('base64url'), auth: ua.authSecret.toString('base64url') },
  };
}

export type SubscriptionVerdict =
  | { kind: 'unknown' }
  | {
      kind: 'valid';
      index: number;
      flaggedDead: boolean;
      expiresAt: number;
      /** Set for restricted subscriptions: the SHA-256 prefix the VAPID key must match. */
      restrictedKeyHash: Buffer | null;
      deadDraw: number;
    };

export function verifySubscriptionId(key: Buffer, id: string): SubscriptionVerdict {
  if (!ID_RE.test(id)) return { kind: 'unknown' };
  const raw = Buffer.from(id, 'base64url');
  if (raw.length !== ID_BYTES || raw[0] !== VERSION) return { kind: 'unknown' };
  const mac = hmac(key, 'wp\0', raw.subarray(0, 20));
  if (!timingSafeEqual(mac.subarray(0, 12), raw.subarray(20, 32))) return { kind: 'unknown' };
  const flags = raw[1] ?? 0;
  return {
    kind: 'valid',
    index: raw.readUIntBE(2, 6),
    flaggedDead: (flags & FLAG_DEAD) !== 0,
    expiresAt: raw.readUInt32BE(8),
    restrictedKeyHash: flags & FLAG_RESTRICTED ? raw.subarray(12, 20) : null,
    deadDraw: hashFraction(mac, 12),
  };
}
