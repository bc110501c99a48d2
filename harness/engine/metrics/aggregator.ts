/**
 * The parent's side of metrics: merges the workers' per-second snapshots into one `TimeseriesPoint` per
 * second and into cumulative histograms and totals for the final summary. Histograms are merged bucket by
 * bucket, so fleet-wide percentiles are exact (never an average of per-worker percentiles).
 */
import { isMetricName, METRICS, type MetricName } from '../../common/metrics-catalogue.ts';
import type { MetricSummary, TimeseriesPoint } from '../../common/summary-types.ts';
import { encodeHistogram, type Histogram, mergeEncoded, newHistogram, trendSummary, trendValues } from './histogram.ts';
import type { ProcessSample } from './process-monitor.ts';
import type { MetricsSnapshot } from './recorder.ts';

export interface GeneratorTotals {
  cpuSeconds: number;
  peakRssBytes: number;
  maxEventLoopDelayP99Ms: number;
}

export class MetricsAggregator {
  private second = new Map<MetricName, Histogram>();
  private secondCounters = new Map<string, number>();
  private secondGauges = new Map<string, Map<string, number>>();
  private secondProcesses = new Map<string, ProcessSample>();

  private readonly cumulative = new Map<MetricName, Histogram>();
  private readonly totals = new Map<string, number>();
  private readonly gaugeStats = new Map<string, { value: number; min: number; max: number }>();
  private readonly gaugeBySource = new Map<string, Map<string, number>>();
  readonly errorsByCode = new Map<string, number>();
  readonly generator: GeneratorTotals = { cpuSeconds: 0, peakRssBytes: 0, maxEventLoopDelayP99Ms: 0 };

  /** Adds one process's snapshot to the current second. `source` names the process (gauges add up across). */
  add(source: string, snapshot: MetricsSnapshot, processSample?: ProcessSample): void {
    for (const [name, encoded] of Object.entries(snapshot.trends)) {
      if (!isMetricName(name) || !encoded) continue;
      let histogram = this.second.get(name);
      if (!histogram) {
        histogram = newHistogram();
        this.second.set(name, histogram);
      }
      mergeEncoded(histogram, encoded);
    }
    for (const [name, value] of Object.entries(snapshot.counters)) {
      this.secondCounters.set(name, (this.secondCounters.get(name) ?? 0) + (value ?? 0));
    }
    for (const [name, value] of Object.entries(snapshot.gauges)) {
      let bySource = this.secondGauges.get(name);
      if (!bySource) {
        bySource = new Map();
        this.secondGauges.set(name, bySource);
      }
      bySource.set(source, value ?? 0);
    }
    for (const [code, count] of Object.entries(snapshot.errors)) {
      this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + count);
    }
    if (processSample) this.secondProcesses.set(source, processSample);
  }

  /** Closes the current second: returns its point and folds it into the cumulative state. */
  closeSecond(t: number, now = new Date()): TimeseriesPoint {
    const point: TimeseriesPoint = {
      t,
      ts: now.toISOString(),
      trends: {},
      counters: {},
      gauges: {},
      generator: { cpu: 0, eventLoopDelayP99Ms: 0, rssBytes: 0 },
      hdr: {},
    };
    for (const [name, histogram] of this.second) {
      if (histogram.totalCount === 0) continue;
      point.trends[name] = trendValues(histogram);
      point.hdr![name] = encodeHistogram(histogram);
      let total = this.cumulative.get(name);
      if (!total) {
        total = newHistogram();
        this.cumulative.set(name, total);
      }
      total.add(histogram);
    }
    this.second = new Map();
    for (const [name, value] of this.secondCounters) {
      point.counters[name] = value;
      this.totals.set(name, (this.totals.get(name) ?? 0) + value);
    }
    this.secondCounters = new Map();
    // A gauge is a level per process: the fleet's level is the sum of each process's latest value.
    for (const [name, bySource] of this.secondGauges) {
      let sources = this.gaugeBySource.get(name);
      if (!sources) {
        sources = new Map();
        this.gaugeBySource.set(name, sources);
      }
      for (const [source, value] of bySource) sources.set(source, value);
    }
    this.secondGauges = new Map();
    for (const [name, sources] of this.gaugeBySource) {
      let value = 0;
      for (const v of sources.values()) value += v;
      point.gauges[name] = value;
      const stats = this.gaugeStats.get(name);
      if (!stats) this.gaugeStats.set(name, { value, min: value, max: value });
      else {
        stats.value = value;
        stats.min = Math.min(stats.min, value);
        stats.max = Math.max(stats.max, value);
      }
    }
    for (const sample of this.secondProcesses.values()) {
      point.generator.cpu += sample.cpu;
      point.generator.rssBytes += sample.rssBytes;
      point.generator.eventLoopDelayP99Ms = Math.max(point.generator.eventLoopDelayP99Ms, sample.eventLoopDelayP99Ms);
      this.generator.cpuSeconds += sample.cpuSeconds;
    }
    point.generator.cpu = Math.round(point.generator.cpu * 1000) / 1000;
    this.generator.peakRssBytes = Math.max(this.generator.peakRssBytes, point.generator.rssBytes);
    this.generator.maxEventLoopDelayP99Ms = Math.max(
      this.generator.maxEventLoopDelayP99Ms,
      point.generator.eventLoopDelayP99Ms,
    );
    this.secondProcesses = new Map();
    return point;
  }

  /** Overrides a counter's total (final exact accounting replaces the live estimate). */
  setTotal(name: MetricName, value: number): void {
    this.totals.set(name, value);
  }

  total(name: MetricName): number {
    return this.totals.get(name) ?? 0;
  }

  /** Cumulative summaries in k6 shape; counter rates are per second over `durationS`. */
  summaries(durationS: number): Record<string, MetricSummary> {
    const out: Record<string, MetricSummary> = {};
    for (const [name, histogram] of this.cumulative) {
      out[name] = trendSummary(histogram);
    }
    for (const [name, count] of this.totals) {
      if (isMetricName(name) && METRICS[name].kind !== 'counter') continue;
      out[name] = { type: 'counter', count, rate: durationS > 0 ? Math.round((count / durationS) * 1000) / 1000 : 0 };
    }
    for (const [name, stats] of this.gaugeStats) out[name] = { type: 'gauge', ...stats };
    return out;
  }

  /** Cumulative encoded histograms per trend (µs), for files, ClickHouse and baseline comparison. */
  histograms(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, histogram] of this.cumulative) out[name] = encodeHistogram(histogram);
    return out;
  }

  cumulativeHistogram(name: MetricName): Histogram | undefined {
    return this.cumulative.get(name);
  }
}
