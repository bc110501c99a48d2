import type { Shard } from './shard.ts';

/**
 * k6-style execution segments: shard i of n owns the fraction [i/n, (i+1)/n) of everything. Every slice is
 * computed from the same integer arithmetic on every machine, so the shards' slices partition the whole
 * exactly — no item is owned twice or by nobody, and the sums add up to the total.
 */

/**
 * A share of the run that is not 1/n: the fraction [from/of, to/of). Shards whose segments tile 0..of (one's `to`
 * is the next one's `from`) still partition every total exactly. A dataset shard owns a range of the rooms and
 * takes the same fraction of the rate, so each room is published as often as by one process.
 */
export interface Segment {
  from: number;
  to: number;
  of: number;
}

/** Shard i of n as a segment: [i/n, (i+1)/n). */
export const shardSegment = (shard: Shard): Segment => ({ from: shard.index, to: shard.index + 1, of: shard.count });

const asSegment = (share: Shard | Segment): Segment => ('of' in share ? share : shardSegment(share));

/** The half-open range [start, end) of items 0..total-1 this shard owns (contiguous: users, devices, rows). */
export function sliceRange(total: number, share: Shard | Segment): { start: number; end: number } {
  const { from, to, of } = asSegment(share);
  return { start: boundary(total, from, of), end: boundary(total, to, of) };
}

/** How many of `total` items (VUs, iterations, subscribers) this shard owns; the shards' counts sum to total. */
export function sliceCount(total: number, share: Shard | Segment): number {
  const { start, end } = sliceRange(total, share);
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
export function sliceRate(ratePerSecond: number, share: Shard | Segment): number {
  if (Number.isInteger(ratePerSecond)) return sliceCount(ratePerSecond, share);
  const micro = Math.round(ratePerSecond * 1e6);
  return sliceCount(micro, share) / 1e6;
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
