import { decodeFromCompressedBase64, type JsHistogram } from 'hdr-histogram-js';

/**
 * Mergeable histograms for ClickHouse: each second's HdrHistogram (TimeseriesPoint.hdr, values in µs)
 * is re-bucketed into fixed log-spaced buckets, stored sparse as two arrays (`hist_idx`, `hist_cnt`).
 * Fixed bounds make histograms from any second, shard or run add up with `sumMap`, which 18.16 has;
 * a percentile is then the first bucket whose cumulative count reaches q × total.
 *
 * Bucket i holds values in (2^((i-1)/16), 2^(i/16)] µs (bucket 0: ≤ 1 µs). Sixteen buckets per octave
 * = 4.4 % wide, so a percentile read back is at most 4.4 % above the true value (it reports the
 * bucket's upper bound, as Prometheus' `le` does). The engine's own per-second percentiles (exact to
 * HdrHistogram's precision) are stored beside the buckets for single-second reads.
 */
export const BUCKETS_PER_OCTAVE = 16;

export function bucketIndex(valueUs: number): number {
  if (!(valueUs > 1)) return 0;
  // The epsilon keeps exact bucket bounds (powers of two) in their own bucket despite float log2.
  return Math.min(65_535, Math.ceil(BUCKETS_PER_OCTAVE * Math.log2(valueUs) - 1e-9));
}

export function bucketUpperUs(index: number): number {
  return 2 ** (index / BUCKETS_PER_OCTAVE);
}

export interface SparseBuckets {
  idx: number[];
  cnt: number[];
}

/** Adds `count` values of `valueUs` to a bucket map. */
export function addToBuckets(buckets: Map<number, number>, valueUs: number, count = 1): void {
  const i = bucketIndex(valueUs);
  buckets.set(i, (buckets.get(i) ?? 0) + count);
}

export function sparse(buckets: Map<number, number>): SparseBuckets {
  const idx = [...buckets.keys()].sort((a, b) => a - b);
  return { idx, cnt: idx.map((i) => buckets.get(i) ?? 0) };
}

/** A compressed base64 HdrHistogram (µs) → sparse log buckets. Throws on a corrupt encoding. */
export function hdrToBuckets(base64: string): SparseBuckets {
  const histogram = decodeFromCompressedBase64(base64) as JsHistogram;
  const buckets = new Map<number, number>();
  // Straight over the counts array (what RecordedValuesIterator visits, reporting each slot's highest
  // equivalent value) — ~10× cheaper than the iterator's objects, which matters on the live path.
  const total = histogram.totalCount;
  let seen = 0;
  for (let i = 0; i < histogram.countsArrayLength && seen < total; i++) {
    const count = histogram.getCountAtIndex(i);
    if (count === 0) continue;
    seen += count;
    addToBuckets(buckets, histogram.highestEquivalentValue(histogram.valueFromIndex(i)), count);
  }
  return sparse(buckets);
}

/** The q-quantile (µs, a bucket's upper bound) of sparse buckets, computed the way the SQL does. */
export function bucketsQuantileUs(buckets: SparseBuckets, q: number): number {
  const total = buckets.cnt.reduce((a, b) => a + b, 0);
  let cumulative = 0;
  for (let k = 0; k < buckets.idx.length; k++) {
    cumulative += buckets.cnt[k] ?? 0;
    if (cumulative >= total * q) return bucketUpperUs(buckets.idx[k] ?? 0);
  }
  return Number.NaN;
}

/**
 * SQL (portable to 18.16) for the q-quantile in milliseconds of a `sumMap(hist_idx, hist_cnt)` tuple
 * named `hist`. 18.16 lambdas cannot capture columns, so the total rides along as a second array
 * (`replicate`). Use it over non-empty histograms only (filter `count > 0` rows or HAVING).
 */
export function histQuantileMsSql(hist: string, q: number): string {
  if (!(q > 0 && q <= 1)) throw new Error(`quantile must be in (0, 1], got ${q}`);
  const counts = `arrayCumSum(tupleElement(${hist}, 2))`;
  const index = `arrayFirstIndex((cum_, tot_) -> cum_ >= tot_ * ${q}, ${counts}, replicate(arrayElement(${counts}, -1), ${counts}))`;
  return `round(pow(2, arrayElement(tupleElement(${hist}, 1), ${index}) / ${BUCKETS_PER_OCTAVE}) / 1000, 3)`;
}

/**
 * SQL for a coarser heatmap bucket of a fine bucket index: `perOctave` rows per doubling, as the
 * bucket's upper bound in milliseconds.
 */
export function heatmapBucketMsSql(indexExpr: string, perOctave: 1 | 2 | 4 | 8 | 16 = 4): string {
  const step = BUCKETS_PER_OCTAVE / perOctave;
  return `round(pow(2, intDiv(${indexExpr} + ${step - 1}, ${step}) * ${step} / ${BUCKETS_PER_OCTAVE}) / 1000, 3)`;
}
