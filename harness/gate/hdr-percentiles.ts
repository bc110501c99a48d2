/**
 * Percentiles that summary.json does not carry (p(75), p(99.99)…), answered from the run's cumulative HDR
 * histograms (`histograms/<metric>.hdr`: hdr-histogram-js compressed base64, values in microseconds).
 */
import * as hdr from 'hdr-histogram-js';
import type { PercentileLookup } from './thresholds.ts';

export function percentileLookupFromHdr(encoded: Record<string, string>): PercentileLookup {
  const decoded = new Map<string, hdr.Histogram>();
  return (metric, percentile) => {
    const text = encoded[metric];
    if (text === undefined) return undefined;
    let histogram = decoded.get(metric);
    if (!histogram) {
      // 64-bit counts: a long, large run can put more than 2^31 samples in one bucket.
      histogram = hdr.decodeFromCompressedBase64(text, 64);
      decoded.set(metric, histogram);
    }
    if (histogram.totalCount === 0) return null;
    return histogram.getValueAtPercentile(percentile) / 1000;
  };
}
