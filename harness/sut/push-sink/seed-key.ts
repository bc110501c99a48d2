import { createHash, createHmac } from 'node:crypto';

/**
 * The HMAC key every token, subscription and dead-fraction draw derives from. A pure function of the run
 * seed, so every sink process (and a test) that knows the seed checks tokens without shared state.
 */
export function seedKey(seed: string): Buffer {
  return createHash('sha256').update('centrifugo-bench push sink v1\0').update(seed).digest();
}

export function hmac(key: Buffer, ...parts: (string | Buffer)[]): Buffer {
  const h = createHmac('sha256', key);
  for (const part of parts) h.update(part);
  return h.digest();
}

/** A 48-bit index as 6 big-endian bytes (token and subscription indexes). */
export function writeIndex(buf: Buffer, offset: number, index: number): void {
  buf.writeUIntBE(index, offset, 6);
}

export const MAX_INDEX = 2 ** 48 - 1;

/** A uniform fraction in [0, 1) from the first 4 bytes of a MAC: stable per token, chosen by hash. */
export function hashFraction(mac: Buffer, offset = 0): number {
  return mac.readUInt32BE(offset) / 2 ** 32;
}
