import type { Shard } from './shard.ts';

/**
 * k6-style execution segments: shard i of n owns the fraction [i/n, (i+1)/n) of everything. Every slice is
 * computed from the same integer arithmetic on every machine, so the shards' slices partition the whole
 * exactly — no item is owned twice or by nobody, and the sums add up to the total.
 */

/** The half-open range [start, end) of items 0..total-1 this shard owns (contiguous: users, devices, rows). */
export function sliceRange(total: number, shard: Shard): { start: number; end: number } {
  return { start: boundary(total, shard.index, shard.count), end: boundary(total, shard.index + 1, shard.count) };
}

/** How many of `total` items (VUs, iterations, subscribers) this shard owns; the shards' counts sum to total. */
export function sliceCount(total: number, shard: Shard): number {
  const { start, end } = sliceRange(total, shard);
  return end - start;
}

/**
 * Whether item `key` (a user or channel number) belongs to this shard, striped rather than contiguous, so each
 * shard gets a mix of big and small rooms. Every stream's subscribers are then known up front: the owed
 * deliveries of a stream are the members every shard owns, summed.
 */
export function ownsKey(key: number, shard: Shard): boolean {
  return key % shard.count === shard.index;
}

/**
 * This shard's part of an arrival rate. Integer rates split into integers that sum exactly to the rate; a
 * fractional rate splits by the same segment boundaries on a 1e6 grid (micro-messages per second), so the
 * shards' rates still sum to the whole to within 1e-6 and no shard ever gets a negative or doubled share.
 */
export function sliceRate(ratePerSecond: number, shard: Shard): number {
  if (Number.isInteger(ratePerSecond)) return sliceCount(ratePerSecond, shard);
  const micro = Math.round(ratePerSecond * 1e6);
  return sliceCount(micro, shard) / 1e6;
}

/** The items of a seeded dataset (in their deterministic order) this shard owns. */
export function sliceItems<T>(items: readonly T[], shard: Shard): T[] {
  const { start, end } = sliceRange(items.length, shard);
  return items.slice(start, end);
}

function boundary(total: number, index: number, count: number): number {
  // BigInt keeps total × index exact beyond 2^53 / count (large iteration counts).
  return Number((BigInt(total) * BigInt(index)) / BigInt(count));
}
