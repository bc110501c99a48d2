/**
 * Change points in a series: E-divisive means (Matteson & James 2014, "A nonparametric approach for
 * multiple change point analysis of multivariate data"), the method MongoDB's performance CI
 * (signal_processing_algorithms) and Hunter use on their histories of benchmark results.
 *
 * - Divergence of two adjacent segments X (n points) and Y (m points), alpha = 1:
 *     Q = nm/(n+m) · ( 2/(nm)·Σ|x−y| − 1/C(n,2)·Σ|x−x'| − 1/C(m,2)·Σ|y−y'| )
 *   the energy distance between their distributions (zero when they are the same, any shift of location
 *   or shape makes it grow), scaled by the segments' sizes.
 * - Recursive bisection: the best split of every current segment is found (both sides at least
 *   `minSegment` points); the strongest over all segments is kept if a permutation test says it is
 *   significant, then the search goes on with one more segment; it stops at the first split that is not.
 * - Significance, as the paper and MongoDB's signal_processing_algorithms define it: the points of each
 *   current segment are shuffled within it (plain permutations; a seeded PRNG, so the same series always
 *   gives the same answer) and the strongest split of the shuffled series found again, R times;
 *   p = (1 + #{permuted Q ≥ observed Q}) / (1 + R), kept when p ≤ significance. Comparing with the
 *   strongest split over all segments, not just the one being split, keeps one false alarm chance per
 *   step: testing each segment on its own added a spurious third change point to 6 of 40 two-step series.
 *
 * What this is tuned for: one point per saved baseline entry (a CI job's k runs reduced to medians), and
 * entries are roughly independent — days apart, each on a fresh runner. Autocorrelated series (drift
 * between entries) break exchangeability: every shuffle looks smoother than the real series, so drift reads
 * as a change (measured in e-divisive.test.ts, 60 points: AR(1) φ 0.3 flagged in 11 of 40 series, 47 of 200
 * on other seeds, against 3 of 40 for independent noise). Block permutations would absorb that but, with
 * histories this short, leave too few blocks to find a second step (10 → 12 → 14 was missed); so
 * autocorrelated history is out of scope, and the test pins the measured rate rather than hiding it.
 *
 * Cost: one segment's best split is O(L²) from running sums of distances, so a test is O(R·L²); n = 200
 * with 199 permutations takes well under a second.
 */

import { median } from '../../common/median.ts';
import { mulberry32 } from '../../common/seeded-random.ts';

export interface EDivisiveOptions {
  /** Permutations per significance test (default 199: p-values down to 0.005). */
  permutations?: number;
  /** A split is kept when its p-value is at most this (default 0.05, as in Matteson & James, ecp and MongoDB). */
  significance?: number;
  /** Fewest points in a segment (default 3: histories of baseline entries are short). */
  minSegment?: number;
  /** Seed of the permutations' PRNG (default 1). */
  seed?: number;
}

export interface ChangePoint {
  /** Index of the first point of the new regime. */
  index: number;
  pValue: number;
  /** Median of the segment before (from the previous change point, or the start). */
  before: number;
  /** Median of the segment after (up to the next change point, or the end). */
  after: number;
}

export const E_DIVISIVE_DEFAULTS = { permutations: 199, significance: 0.05, minSegment: 3, seed: 1 } as const;

interface Split {
  index: number;
  q: number;
}

/** The split of x[start, end) with the largest divergence Q, or null when the segment is too short. */
function bestSplit(x: readonly number[], start: number, end: number, minSegment: number): Split | null {
  const length = end - start;
  if (length < 2 * minSegment) return null;
  // within[k]: Σ|xi − xj| over pairs inside x[start, start + k); suffix the same for x[end − k, end).
  const prefix = new Float64Array(length + 1);
  for (let k = 1; k <= length; k++) {
    const point = x[start + k - 1]!;
    let sum = 0;
    for (let i = start; i < start + k - 1; i++) sum += Math.abs(x[i]! - point);
    prefix[k] = prefix[k - 1]! + sum;
  }
  const suffix = new Float64Array(length + 1);
  for (let k = 1; k <= length; k++) {
    const point = x[end - k]!;
    let sum = 0;
    for (let i = end - k + 1; i < end; i++) sum += Math.abs(x[i]! - point);
    suffix[k] = suffix[k - 1]! + sum;
  }
  const total = prefix[length]!;
  let best: Split | null = null;
  for (let n = minSegment; n <= length - minSegment; n++) {
    const m = length - n;
    const left = prefix[n]!;
    const right = suffix[m]!;
    const cross = total - left - right;
    const divergence = (2 * cross) / (n * m) - left / ((n * (n - 1)) / 2) - right / ((m * (m - 1)) / 2);
    const q = ((n * m) / (n + m)) * divergence;
    if (!best || q > best.q) best = { index: start + n, q };
  }
  return best;
}

/** The strongest split over all segments (bounds: sorted segment starts, with the series' end last). */
function strongestSplit(x: readonly number[], bounds: readonly number[], minSegment: number): Split | null {
  let best: Split | null = null;
  for (let s = 0; s < bounds.length - 1; s++) {
    const split = bestSplit(x, bounds[s]!, bounds[s + 1]!, minSegment);
    if (split && (!best || split.q > best.q)) best = split;
  }
  return best;
}

/** The series with each segment's points shuffled within it (Fisher–Yates): no point crosses a change point. */
function shuffleWithinSegments(x: readonly number[], bounds: readonly number[], random: () => number): number[] {
  const out = [...x];
  for (let s = 0; s < bounds.length - 1; s++) {
    const start = bounds[s]!;
    for (let i = bounds[s + 1]! - 1; i > start; i--) {
      const j = start + Math.floor(random() * (i - start + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
  }
  return out;
}

/** Change points of `series`, sorted by index; none for a series shorter than two minimum segments. */
export function eDivisive(series: readonly number[], options: EDivisiveOptions = {}): ChangePoint[] {
  const { permutations, significance, minSegment, seed } = { ...E_DIVISIVE_DEFAULTS, ...options };
  if (series.some((value) => !Number.isFinite(value))) throw new Error('eDivisive: the series has a non-finite value');
  const random = mulberry32(seed);
  const bounds = [0, series.length];
  const pValues = new Map<number, number>();
  for (;;) {
    const split = strongestSplit(series, bounds, minSegment);
    if (!split || !(split.q > 0)) break;
    let atLeastAsStrong = 0;
    for (let r = 0; r < permutations; r++) {
      const permuted = strongestSplit(shuffleWithinSegments(series, bounds, random), bounds, minSegment);
      if (permuted && permuted.q >= split.q) atLeastAsStrong++;
    }
    const pValue = (1 + atLeastAsStrong) / (1 + permutations);
    if (pValue > significance) break;
    pValues.set(split.index, pValue);
    bounds.push(split.index);
    bounds.sort((a, b) => a - b);
  }
  const points: ChangePoint[] = [];
  for (let s = 1; s < bounds.length - 1; s++) {
    const index = bounds[s]!;
    points.push({
      index,
      pValue: pValues.get(index)!,
      before: median(series.slice(bounds[s - 1], index))!,
      after: median(series.slice(index, bounds[s + 1]))!,
    });
  }
  return points;
}
