/**
 * Latency histograms: HdrHistogram (hdr-histogram-js, the pure-JS implementation), values in microseconds,
 * 3 significant digits, auto-resizing, so memory is fixed by range × precision and never grows with the
 * number of samples. Encoded with the standard compressed-base64 format, so a histogram from any worker,
 * second or shard merges exactly into another — percentiles are never averaged.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { histogramFigures } from '../../common/histogram-pass.ts';
import type { MetricSummary, TrendValues } from '../../common/summary-types.ts';

export type { Histogram };

export function newHistogram(): Histogram {
  return build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  return decodeFromCompressedBase64(encoded, 32, false);
}

/** Adds an encoded histogram into `target` (exact: bucket counts add up). */
export function mergeEncoded(target: Histogram, encoded: string): void {
  target.add(decodeHistogram(encoded));
}

/** How many recorded values are below `valueUs` (to the histogram's precision: whole buckets). */
export function countBelow(histogram: Histogram, valueUs: number): number {
  const h = histogram as unknown as {
    countsArrayIndex(v: number): number;
    getCountAtIndex(i: number): number;
    countsArrayLength: number;
  };
  const end = Math.min(h.countsArrayIndex(valueUs), h.countsArrayLength);
  let count = 0;
  for (let i = 0; i < end; i++) count += h.getCountAtIndex(i);
  return count;
}

const ms = (us: number) => Math.round(us) / 1000;

/** The percentiles of a trend, ascending (the order the single pass of histogramFigures meets them). */
const TREND_PERCENTILES = [0, 50, 90, 95, 99, 99.9, 100] as const;

/**
 * k6 trend aggregates in milliseconds; all zero for an empty histogram. One pass over the buckets gives the
 * mean and every percentile — the same figures as the library's `mean` and `getValueAtPercentile` (each of
 * which walks the buckets again; the engine does this every second, so the parent's CPU counts).
 */
export function trendValues(histogram: Histogram): TrendValues {
  const count = histogram.totalCount;
  if (count === 0) return { count: 0, avg: 0, min: 0, med: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  // minNonZeroValue ignores recorded zeros; the 0th percentile does not. Like the percentiles, the max is
  // reported as its bucket's highest equivalent value (≤ 0.1% above the recorded value), so a histogram
  // gives the same figures before and after encoding and merging.
  const { mean, values } = histogramFigures(histogram, TREND_PERCENTILES);
  const [min, med, p90, p95, p99, p999, max] = values as [number, number, number, number, number, number, number];
  return {
    count,
    avg: Math.round(mean) / 1000,
    min: ms(min),
    med: ms(med),
    p90: ms(p90),
    p95: ms(p95),
    p99: ms(p99),
    p999: ms(p999),
    max: ms(max),
  };
}

/** A trend metric's summary.json entry. */
export function trendSummary(histogram: Histogram): MetricSummary {
  return { type: 'trend', unit: 'ms', ...trendValues(histogram) };
}
