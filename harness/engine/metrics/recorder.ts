/**
 * What every worker process records into: one histogram per trend for the current second, counters,
 * gauges and errors by code. `snapshot()` hands the second over (encoded) and starts the next one, so a
 * worker's memory is a handful of histograms however many messages pass through it.
 */
import type { MetricName } from '../../common/metrics-catalogue.ts';
import { encodeHistogram, type Histogram, newHistogram } from './histogram.ts';

export interface MetricsSnapshot {
  /** Encoded histograms (µs) of the trends recorded this interval. */
  trends: Partial<Record<MetricName, string>>;
  /** Increments this interval (may be negative only for messages_lost, see accounting). */
  counters: Partial<Record<MetricName, number>>;
  /** Levels at the end of the interval. */
  gauges: Partial<Record<MetricName, number>>;
  /** Error increments by code this interval. */
  errors: Record<string, number>;
}

export class MetricsRecorder {
  private histograms = new Map<MetricName, Histogram>();
  private counters = new Map<MetricName, number>();
  private gauges = new Map<MetricName, number>();
  private errors = new Map<string, number>();

  /** Records one value of a trend, in microseconds. */
  recordUs(name: MetricName, valueUs: number): void {
    let histogram = this.histograms.get(name);
    if (!histogram) {
      histogram = newHistogram();
      this.histograms.set(name, histogram);
    }
    histogram.recordValue(valueUs > 0 ? Math.round(valueUs) : 0);
  }

  count(name: MetricName, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  gauge(name: MetricName, value: number): void {
    this.gauges.set(name, value);
  }

  /** Counts an error under its code and in the `errors` counter. */
  error(code: string, by = 1): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + by);
    this.count('errors', by);
  }

  snapshot(): MetricsSnapshot {
    const trends: MetricsSnapshot['trends'] = {};
    for (const [name, histogram] of this.histograms) {
      if (histogram.totalCount === 0) continue;
      trends[name] = encodeHistogram(histogram);
      histogram.reset();
    }
    const snapshot: MetricsSnapshot = {
      trends,
      counters: Object.fromEntries(this.counters),
      gauges: Object.fromEntries(this.gauges),
      errors: Object.fromEntries(this.errors),
    };
    this.counters.clear();
    this.errors.clear();
    return snapshot;
  }
}
