/**
 * The plain data a run produces, shared by engine (producer), results (files, ClickHouse, reports) and
 * gate (thresholds, baselines). `summary.json` is the contract with users' CI scripts: its shape is
 * versioned by `schemaVersion` and documented in the README ("summary.json"). Add fields freely;
 * renaming or removing one is a new schemaVersion.
 */
import type { MetricKind } from './metrics-catalogue.ts';

export const SUMMARY_SCHEMA_VERSION = 1;

/** Aggregates of a trend (milliseconds). */
export interface TrendValues {
  count: number;
  avg: number;
  min: number;
  med: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export type MetricSummary =
  | ({ type: 'trend'; unit: 'ms' } & TrendValues)
  | { type: 'counter'; count: number; rate: number }
  | { type: 'gauge'; value: number; min: number; max: number }
  | { type: 'rate'; rate: number; passes: number; fails: number };

export interface ThresholdResult {
  metric: string;
  expression: string;
  ok: boolean;
  /** The aggregate the expression compared (e.g. the p99), null when the metric had no data. */
  value: number | null;
  abortOnFail: boolean;
}

/** A moment on the run's timeline: phase changes and injected faults, shown in every report. */
export interface TimelineEvent {
  /** Seconds since the run's t0. */
  at: number;
  kind: 'phase' | 'fault' | 'note';
  name: string;
  detail?: string;
}

/** Exact push accounting: enqueued = delivered + failed (all reasons) + queued + unaccounted (must be 0). */
export interface PushLedger {
  enqueued: number;
  delivered: number;
  failed: Record<string, number>;
  queued: number;
  unaccounted: number;
}

export interface RunSummary {
  schemaVersion: typeof SUMMARY_SCHEMA_VERSION;
  runId: string;
  scenario: string;
  startedAt: string;
  endedAt: string;
  durationS: number;
  /** False when the load generator saturated (or another measurement fault): numbers are not trustworthy. */
  valid: boolean;
  invalidReasons: string[];
  /** Whether the run was stopped early (abortOnFail threshold, signal, fatal error). */
  aborted: { by: string; reason: string } | null;
  thresholds: ThresholdResult[];
  metrics: Record<string, MetricSummary>;
  /** Error counts by code ("ws_close_3012", "http_503", …). */
  errorsByCode: Record<string, number>;
  push_ledger?: PushLedger;
  /** Load-generator cost: CPU seconds and memory, for the README's per-connection / per-message figures. */
  generator: {
    workers: number;
    cpuSeconds: number;
    peakRssBytes: number;
    maxEventLoopDelayP99Ms: number;
  };
  timeline: TimelineEvent[];
  /**
   * CPU seconds each service of the stack used while load ran (local stacks only): the load generator's
   * cost (`generator.cpuSeconds`) beside the cost of the system it loads.
   */
  sut?: { cpuSeconds: Record<string, number> };
  /**
   * A run merged from shards: how far its latencies can be trusted across machines. `uncertaintyMs` is the worst
   * clock estimate of any shard (or push sink, through a shard) before or after the run, or its drift between
   * the two; every latency measured across shards is exact to ± this. `boundMs`: above it the run is invalid.
   */
  clock?: { shards: number; uncertaintyMs: number; boundMs: number };
}

/** One line of `timeseries.ndjson`: the whole fleet, merged, for one second of the run. */
export interface TimeseriesPoint {
  /** Seconds since t0 (the run's start), integer. */
  t: number;
  /** Wall-clock time of the end of the second, ISO 8601. */
  ts: string;
  /** Latency distributions of this second only (ms). */
  trends: Record<string, TrendValues>;
  /** Increments during this second (not running totals): sum them for a total. */
  counters: Record<string, number>;
  /** Levels at the end of this second. */
  gauges: Record<string, number>;
  /** The whole load generator this second: CPU in cores (1.0 = one core busy), worst worker's loop delay, total RSS. */
  generator: { cpu: number; eventLoopDelayP99Ms: number; rssBytes: number };
  /**
   * The second's merged latency histograms, HdrHistogram-encoded (base64, `hdr-histogram-js`
   * `encodeIntoCompressedBase64`, values in microseconds): mergeable across shards and re-bucketable
   * for ClickHouse and heatmaps.
   */
  hdr?: Record<string, string>;
}

/** `run.json`: what ran, where, with which versions — everything needed to reproduce or compare. */
export interface RunInfo {
  schemaVersion: 1;
  runId: string;
  scenario: { name: string; file: string; description?: string; config: unknown };
  startedAt: string;
  git: { commit: string | null; dirty: boolean | null };
  host: { hostname: string; platform: string; arch: string; cpus: number; cpuModel: string; memoryBytes: number };
  node: string;
  harnessVersion: string;
  stack: { provider: string; engine: string; nodes: number };
  versions: Record<string, string>;
}

export type { MetricKind };

/**
 * One line of `samples.ndjson`: one sampled per-message delivery, written only when a scenario asks for raw
 * samples (and then sampled). Keys are snake_case because the line is also a ClickHouse row
 * (table `deliveries`, harness/results/clickhouse). Times are µs since the Unix epoch (UTC).
 */
export interface DeliverySample {
  run_id: string;
  /** When the subscriber received the publication. */
  ts_us: number;
  /** The stream the message belongs to (`broadcast`, `room:7`, a channel): what `seq` counts within. */
  stream: string;
  /** Which subscriber received it (user or connection id). */
  subscriber: string;
  /** The publication's per-stream sequence number (`seq` in its payload). */
  seq: number;
  /** Intended send time → received, µs (the same measure as `delivery_latency`). */
  latency_us: number;
  /** The Centrifugo node the subscriber was connected to (its name in the stack). */
  node: string;
  /** The engine worker (or shard) that recorded the sample. */
  worker?: number;
  /** True when it arrived through recovery after a reconnect, not as a live publication. */
  recovered?: boolean;
}
