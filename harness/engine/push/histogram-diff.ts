import { decodeHistogram, type Histogram } from '../metrics/histogram.ts';

/**
 * Turns the sink's cumulative e2e histogram into per-second histograms: each poll subtracts the previous
 * snapshot (bucket counts only grow between resets), so every second has its own exact distribution.
 */
export class CumulativeHistogramDiff {
  private previous: Histogram | undefined;

  next(encoded: string | undefined): Histogram | undefined {
    if (!encoded) return undefined;
    const current = decodeHistogram(encoded);
    const delta = decodeHistogram(encoded);
    if (this.previous && current.totalCount >= this.previous.totalCount) delta.subtract(this.previous);
    this.previous = current;
    return delta;
  }
}
