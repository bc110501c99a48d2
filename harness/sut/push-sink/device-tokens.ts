import { createHash, timingSafeEqual } from 'node:crypto';
import { hashFraction, hmac, MAX_INDEX, seedKey, writeIndex } from './seed-key.ts';

/**
 * FCM registration tokens minted by the sink: `<22-char instance id>:APA91b<134 chars>` (163 characters,
 * the shape of real tokens). The 100 bytes behind `APA91b` are
 *   [0] version 1 · [1] flags (bit 0: dead) · [2..6) project tag · [6..12) index · [12..28) MAC · [28..100) filler
 * and the instance id is 16 more MAC bytes: a process that knows the seed validates a token with one HMAC.
 */
const VERSION = 1;
const FLAG_DEAD = 1;
const BODY_BYTES = 100;
const TOKEN_RE = /^[A-Za-z0-9_-]{22}:APA91b[A-Za-z0-9_-]{134}$/;

export function projectTag(project: string): Buffer {
  return createHash('sha256').update(project).digest().subarray(0, 4);
}

export interface FcmTokenOptions {
  dead?: boolean;
}

function header(index: number, project: string, dead: boolean): Buffer {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_INDEX) throw new RangeError(`bad token index ${index}`);
  const head = Buffer.alloc(12);
  head[0] = VERSION;
  head[1] = dead ? FLAG_DEAD : 0;
  projectTag(project).copy(head, 2);
  writeIndex(head, 6, index);
  return head;
}

/** Token number `index` of `project` under `seed` (or a precomputed `seedKey(seed)`). Pure and deterministic. */
export function fcmToken(seed: string | Buffer, project: string, index: number, options: FcmTokenOptions = {}): string {
  const key = typeof seed === 'string' ? seedKey(seed) : seed;
  const head = header(index, project, options.dead ?? false);
  const mac = hmac(key, 'fcm\0', head);
  const body = Buffer.alloc(BODY_BYTES);
  head.copy(body, 0);
  mac.copy(body, 12, 16, 32);
  // Filler: deterministic, never checked; it only gives the token its real length.
  let fill = createHash('sha256').update(mac).digest();
  for (let offset = 28; offset < BODY_BYTES; offset += 32) {
    fill.copy(body, offset, 0, Math.min(32, BODY_BYTES - offset));
    fill = createHash('sha256').update(fill).digest();
  }
  return `${mac.subarray(0, 16).toString('base64url')}:APA91b${body.toString('base64url')}`;
}

export type TokenVerdict =
  | { kind: 'malformed' }
  | { kind: 'unknown' }
  | { kind: 'valid'; index: number; flaggedDead: boolean; projectTag: Buffer; deadDraw: number };

/** Checks a token against the seed: malformed (→ 400), well-formed but not ours (→ 404), or ours. */
export function verifyFcmToken(key: Buffer, token: string): TokenVerdict {
  if (token.length !== 163 || !TOKEN_RE.test(token)) return { kind: 'malformed' };
  const body = Buffer.from(token.slice(29), 'base64url');
  if (body.length !== BODY_BYTES || body[0] !== VERSION) return { kind: 'unknown' };
  const head = body.subarray(0, 12);
  const mac = hmac(key, 'fcm\0', head);
  const iid = Buffer.from(token.slice(0, 22), 'base64url');
  if (!timingSafeEqual(mac.subarray(16, 32), body.subarray(12, 28)) || !timingSafeEqual(mac.subarray(0, 16), iid)) {
    return { kind: 'unknown' };
  }
  return {
    kind: 'valid',
    index: head.readUIntBE(6, 6),
    flaggedDead: ((head[1] ?? 0) & FLAG_DEAD) !== 0,
    projectTag: head.subarray(2, 6),
    deadDraw: hashFraction(mac, 16),
  };
}
