import type { Histogram } from 'hdr-histogram-js';

/** The library's layout the single pass reads (public in hdr-histogram-js's JsHistogram, untyped). */
interface HistogramInternals {
  countsArrayLength: number;
  subBucketHalfCount: number;
  unitMagnitude: number;
  getCountAtIndex(index: number): number;
}

/** `getValueAtPercentile`'s count threshold, computed exactly as hdr-histogram-js does (its ulp guard). */
function countAtPercentile(percentile: number, totalCount: number): number {
  const fp = (Math.min(percentile, 100) / 100) * totalCount;
  const ulp = fp === 0 ? 0 : 2 ** (Math.floor(Math.log2(fp)) - 52);
  return Math.max(Math.ceil(fp - ulp), 1);
}

/**
 * The mean and the values at `percentiles` (ascending) in one pass over the buckets: the same figures as the
 * library's `mean` and `getValueAtPercentile`, which walk the buckets again each (its `mean` through an
 * iterator that allocates per bucket, both through `Math.log2` / `Math.pow` per bucket: ~5 ms for a histogram
 * spread over seconds). A bucket's bounds come from its index as in the library's `valueFromIndex`; the sum
 * adds the same terms in the same order, so the mean is equal to the last bit (tested against the library).
 * An empty histogram gives 0 for all.
 */
export function histogramFigures(
  histogram: Histogram,
  percentiles: readonly number[],
): { mean: number; values: number[] } {
  const count = histogram.totalCount;
  if (count === 0) return { mean: 0, values: percentiles.map(() => 0) };
  const h = histogram as unknown as HistogramInternals;
  const half = h.subBucketHalfCount;
  const length = h.countsArrayLength;
  const values: number[] = [];
  let next = 0;
  let threshold = countAtPercentile(percentiles[0] ?? 100, count);
  let seen = 0;
  let sum = 0;
  // Bucket by bucket (the layout of the library's `valueFromIndex`): bucket 0 holds sub-buckets 0 … 2·half−1,
  // every later one half … 2·half−1 at twice the previous width. A sub-bucket's lowest value is sub × width.
  let width = 2 ** h.unitMagnitude;
  for (let start = 0; start < length && seen < count; width *= 2) {
    const firstSub = start === 0 ? 0 : half;
    const end = Math.min(length, start + 2 * half - firstSub);
    for (let i = start; i < end; i++) {
      const n = h.getCountAtIndex(i);
      if (n === 0) continue;
      const lowest = (firstSub + i - start) * width;
      // The library's mean: medianEquivalentValue(highestEquivalentValue(value)) × count, bucket by bucket.
      sum += (lowest + Math.floor(width / 2)) * n;
      seen += n;
      while (next < percentiles.length && seen >= threshold) {
        // Percentile 0 is its bucket's lowest value, the others its highest (as getValueAtPercentile).
        values.push(percentiles[next] === 0 ? lowest : lowest + width - 1);
        next++;
        if (next < percentiles.length) threshold = countAtPercentile(percentiles[next]!, count);
      }
      if (seen === count) break; // the rest is empty buckets (the array is sized for the largest trackable value)
    }
    start = end;
  }
  return { mean: sum / count, values };
}
