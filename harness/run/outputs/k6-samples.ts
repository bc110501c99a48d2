/**
 * The run's data as k6 metric samples, for the json and csv outputs (k6's `--out json` / `--out csv`).
 *
 * k6 writes one sample per request; our engine aggregates per second and never keeps one sample per
 * message, so a sample here is one metric's value for one second (time: the end of that second):
 * - a counter: the second's increment (sum them for the run's total, as with k6's counter samples);
 * - a gauge: its level at the end of the second;
 * - the load generator's own cost: gauges `generator_cpu` (cores), `generator_event_loop_delay_p99` (ms),
 *   `generator_rss_bytes`;
 * - a trend: one metric per statistic, named `<trend>.<stat>` — `delivery_latency.p99`, `.avg`, `.min`,
 *   `.med`, `.p90`, `.p95`, `.p999`, `.max` (gauges, ms: that second's value) and `.count` (a counter: the
 *   second's number of measurements). Separate names rather than one metric with a `stat` tag because every
 *   k6 consumer starts by filtering on the metric name (`jq 'select(.metric=="…")'`, a dataframe's
 *   `metric` column, a Grafana query): each name is then one homogeneous series, and the usual recipes
 *   (average the values, take the max) cannot silently mix a p99 with a count. k6 itself names trend
 *   statistics this way where it exports aggregates (its Prometheus output: `…_p99`). Percentiles of
 *   different seconds do not combine: the whole run's are in summary.json and histograms/.
 * - a sampled delivery (only when the scenario sets results.sampleRate): a true per-message sample of the
 *   `delivery_latency` trend, tagged with its stream and Centrifugo node, with subscriber and seq as k6
 *   metadata (per-sample, not an index: like k6's `vu` and `iter`).
 * Every sample is tagged with the scenario's name (k6's `scenario` tag) and the run id (`run_id`).
 * Timeline events (phases, faults) are not metric samples; they are in the run's timeline.ndjson.
 */
import type { MetricKind } from '../../common/metrics-catalogue.ts';
import { isMetricName, METRICS } from '../../common/metrics-catalogue.ts';
import type { DeliverySample, RunInfo, TimeseriesPoint, TrendValues } from '../../common/summary-types.ts';

/** k6's value types: what a metric's values measure (ms for `time`, bytes for `data`). */
export type K6Contains = 'default' | 'time' | 'data';

export interface K6Metric {
  name: string;
  type: MetricKind;
  contains: K6Contains;
  /** The scenario's threshold expressions on the metric this one derives from, as written. */
  thresholds: string[];
}

export interface K6Sample {
  metric: K6Metric;
  /** ms since the Unix epoch. */
  time: number;
  value: number;
  tags: Record<string, string>;
  /** Per-sample values that are not tags (k6: `vu`, `iter`); absent when none. */
  metadata?: Record<string, string>;
}

/** The trend statistics written per second, in the order they are written. */
const TREND_STATS = [
  'avg',
  'min',
  'med',
  'p90',
  'p95',
  'p99',
  'p999',
  'max',
  'count',
] as const satisfies readonly (keyof TrendValues)[];

/** Turns the run's points and sampled deliveries into k6 samples, naming each metric once. */
export class K6Samples {
  private readonly tags: Record<string, string>;
  private readonly thresholds: Record<string, string[]>;
  private readonly metrics = new Map<string, K6Metric>();

  constructor(info: RunInfo) {
    this.tags = { scenario: info.scenario.name, run_id: info.runId };
    this.thresholds = thresholdsByMetric(info.scenario.config);
  }

  /** One second of the run: every trend statistic, counter, gauge and the generator's cost. */
  fromPoint(point: TimeseriesPoint): K6Sample[] {
    const time = Date.parse(point.ts);
    const samples: K6Sample[] = [];
    const add = (metric: K6Metric, value: number) => samples.push({ metric, time, value, tags: this.tags });
    for (const [trend, values] of Object.entries(point.trends)) {
      for (const stat of TREND_STATS) {
        const metric =
          stat === 'count'
            ? this.metric(`${trend}.count`, 'counter', 'default', trend)
            : this.metric(`${trend}.${stat}`, 'gauge', 'time', trend);
        add(metric, values[stat]);
      }
    }
    for (const [name, value] of Object.entries(point.counters)) add(this.metric(name, 'counter', 'default'), value);
    for (const [name, value] of Object.entries(point.gauges)) add(this.metric(name, 'gauge', 'default'), value);
    add(this.metric('generator_cpu', 'gauge', 'default'), point.generator.cpu);
    add(this.metric('generator_event_loop_delay_p99', 'gauge', 'time'), point.generator.eventLoopDelayP99Ms);
    add(this.metric('generator_rss_bytes', 'gauge', 'data'), point.generator.rssBytes);
    return samples;
  }

  /** Sampled deliveries: per-message `delivery_latency` samples (ms), tagged with stream and node. */
  fromDeliveries(rows: readonly DeliverySample[]): K6Sample[] {
    const metric = this.metric('delivery_latency', 'trend', 'time');
    return rows.map((row) => ({
      metric,
      time: row.ts_us / 1000,
      value: row.latency_us / 1000,
      tags: { ...this.tags, stream: row.stream, node: row.node },
      metadata: { subscriber: row.subscriber, seq: String(row.seq) },
    }));
  }

  /** One description per metric name, made on its first sample; `base`: the trend a statistic derives from. */
  private metric(name: string, fallback: MetricKind, contains: K6Contains, base = name): K6Metric {
    let metric = this.metrics.get(name);
    if (!metric) {
      // A catalogued metric keeps its kind; a trend statistic or an uncatalogued name gets the fallback.
      const type = name === base && isMetricName(name) ? METRICS[name].kind : fallback;
      metric = { name, type, contains, thresholds: this.thresholds[base] ?? [] };
      this.metrics.set(name, metric);
    }
    return metric;
  }
}

/**
 * The scenario's thresholds as written, by metric (run.json keeps the scenario's input; it was validated
 * before the run started): `{ delivery_latency: ['p(99)<250', { threshold: 'max<1000' }] }`.
 */
function thresholdsByMetric(config: unknown): Record<string, string[]> {
  const thresholds = (config as { thresholds?: unknown } | null)?.thresholds;
  if (!thresholds || typeof thresholds !== 'object') return {};
  const byMetric: Record<string, string[]> = {};
  for (const [metric, entries] of Object.entries(thresholds)) {
    if (!Array.isArray(entries)) continue;
    byMetric[metric] = entries
      .map((entry: unknown) =>
        typeof entry === 'string' ? entry : String((entry as { threshold?: unknown } | null)?.threshold ?? ''),
      )
      .filter(Boolean);
  }
  return byMetric;
}
