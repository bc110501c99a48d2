import { createDecipheriv, createHmac, type ECDH } from 'node:crypto';

/**
 * RFC 8291 (Web Push message encryption) on top of RFC 8188 `aes128gcm`, receiver side, with node:crypto
 * only. Steps as in push.md §3.3: header (salt, rs, keyid = the sender's ephemeral public key), ECDH with the
 * user agent's key, two HKDF stages, AES-128-GCM, padding delimiter 0x02 (single final record).
 */
export const HEADER_BYTES = 86;
const TAG_BYTES = 16;

export interface Aes128gcmHeader {
  salt: Buffer;
  recordSize: number;
  senderPublicKey: Buffer;
}

export class DecryptError extends Error {}

export function parseHeader(body: Buffer): Aes128gcmHeader {
  if (body.length < HEADER_BYTES + TAG_BYTES + 1) throw new DecryptError('body shorter than an aes128gcm record');
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20];
  if (idLength !== 65) throw new DecryptError(`keyid length ${idLength}, expected 65 (an uncompressed P-256 key)`);
  if (recordSize < 18) throw new DecryptError(`record size ${recordSize} below the minimum 18`);
  if (body.length - HEADER_BYTES > recordSize) throw new DecryptError('more than one record (RFC 8291 §4 allows one)');
  return { salt: body.subarray(0, 16), recordSize, senderPublicKey: body.subarray(21, HEADER_BYTES) };
}

function hmacSha256(key: Buffer, ...data: Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  for (const d of data) h.update(d);
  return h.digest();
}

const KEY_INFO = Buffer.from('WebPush: info\0', 'latin1');
const CEK_INFO = Buffer.from('Content-Encoding: aes128gcm\0\x01', 'latin1');
const NONCE_INFO = Buffer.from('Content-Encoding: nonce\0\x01', 'latin1');
const ONE = Buffer.from([1]);

/** Decrypts a Web Push message body for the user agent holding `ecdh` (its key pair) and `authSecret`. */
export function decryptWebPush(body: Buffer, ua: { ecdh: ECDH; publicKey: Buffer; authSecret: Buffer }): Buffer {
  const header = parseHeader(body);
  let ecdhSecret: Buffer;
  try {
    // Throws when the sender's key is not a point on P-256 (RFC 8291 §7).
    ecdhSecret = ua.ecdh.computeSecret(header.senderPublicKey);
  } catch {
    throw new DecryptError('the sender public key (keyid) is not a P-256 point');
  }
  const prkKey = hmacSha256(ua.authSecret, ecdhSecret);
  const ikm = hmacSha256(prkKey, KEY_INFO, ua.publicKey, header.senderPublicKey, ONE);
  const prk = hmacSha256(header.salt, ikm);
  const cek = hmacSha256(prk, CEK_INFO).subarray(0, 16);
  const nonce = hmacSha256(prk, NONCE_INFO).subarray(0, 12);
  const ciphertext = body.subarray(HEADER_BYTES, body.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  let padded: Buffer;
  try {
    padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new DecryptError('AES-GCM authentication failed (wrong keys or corrupted body)');
  }
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 2) throw new DecryptError('missing the final-record padding delimiter 0x02');
  return padded.subarray(0, end);
}
