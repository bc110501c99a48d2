import type {
  DeliverySample,
  MetricSummary,
  PushLedger,
  RunInfo,
  RunSummary,
  ThresholdResult,
  TimelineEvent,
  TimeseriesPoint,
  TrendValues,
} from '../../common/summary-types.ts';
import { hdrToBuckets } from './histogram-buckets.ts';

/**
 * The run's plain data (harness/common/summary-types.ts) → ClickHouse rows, one function per table.
 * The live writer and `results load` both use these, so a run loaded from files is row for row what
 * the live writer would have written.
 */

export type Row = Record<string, string | number | string[] | number[]>;

/** Finite number or 0: JSON has no NaN/Infinity, and 18.16 rejects `null` in a Float64. */
function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** Non-negative integer (UInt columns). */
function uint(value: unknown): number {
  return Math.max(0, Math.round(num(value)));
}

export function isoToUs(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms * 1000 : 0;
}

function get(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * The broadcast mode of a run, for comparing modes across runs. run.json has no field of its own for
 * it; it is read from the scenario config: an explicit `mode`/`broadcastMode`, else the chat app's mode
 * in the stack spec (`stack.chatApp.mode`: api, outbox, cdc, …), else the publishers' target
 * (`workload.publishers.target`: centrifugo-broadcast, centrifugo-publish, …), else `direct`.
 */
export function broadcastModeOf(info: RunInfo): string {
  const config = info.scenario.config;
  for (const path of [
    ['mode'],
    ['broadcastMode'],
    ['stack', 'chatApp', 'mode'],
    ['chatApp', 'mode'],
    ['workload', 'publishers', 'target'],
  ]) {
    const value = get(config, ...path);
    if (typeof value === 'string' && value) return value;
  }
  return 'direct';
}

export type RunStatus = 'running' | 'finished' | 'aborted' | 'incomplete';

/** How a run that has stopped ended, from its summary: none means it never wrote one. */
export function endedStatus(summary: Pick<RunSummary, 'aborted'> | null): RunStatus {
  return summary ? (summary.aborted ? 'aborted' : 'finished') : 'incomplete';
}

export function verdictOf(summary: RunSummary | null, status: RunStatus): string {
  if (!summary) return status === 'running' ? 'running' : 'unknown';
  if (!summary.valid) return 'invalid';
  if (summary.thresholds.some((t) => !t.ok)) return 'fail';
  if (summary.aborted) return 'aborted';
  return 'pass';
}

function trend(metrics: Record<string, MetricSummary> | undefined, name: string): TrendValues | null {
  const metric = metrics?.[name];
  return metric?.type === 'trend' ? metric : null;
}

function counter(metrics: Record<string, MetricSummary> | undefined, name: string): number {
  const metric = metrics?.[name];
  return metric?.type === 'counter' ? uint(metric.count) : 0;
}

export interface RunRowOptions {
  status: RunStatus;
  /**
   * `live` (written during the run), `files` (loaded from the run's folder) or `merge` (a distributed run's merged
   * row, written when its shards are merged).
   */
  source: 'live' | 'files' | 'merge';
  updatedUs?: number;
}

/**
 * Where a run's row goes: a whole run's (single process, or the merge of a distributed one) to `runs`, a shard's
 * to `shard_runs` under its index — several shards share one run id, and `runs` keeps one row per run id.
 */
export function runRowTable(shard: string): 'runs' | 'shard_runs' {
  return shard === '' ? 'runs' : 'shard_runs';
}

/** `runRow` for `runRowTable(shard)`: a shard's row carries its index. */
export function runRowFor(shard: string, info: RunInfo, summary: RunSummary | null, options: RunRowOptions): Row {
  const row = runRow(info, summary, options);
  return shard === '' ? row : { shard, ...row };
}

export function runRow(info: RunInfo, summary: RunSummary | null, options: RunRowOptions): Row {
  const metrics = summary?.metrics;
  const delivery = trend(metrics, 'delivery_latency');
  const versions = Object.entries(info.versions ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const errors = Object.entries(summary?.errorsByCode ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const config = get(info.scenario.config, 'stack');
  return {
    run_id: info.runId,
    updated_us: options.updatedUs ?? Date.now() * 1000,
    status: options.status,
    verdict: verdictOf(summary, options.status),
    valid: summary ? (summary.valid ? 1 : 0) : 1,
    invalid_reasons: summary?.invalidReasons ?? [],
    aborted_by: summary?.aborted?.by ?? '',
    aborted_reason: summary?.aborted?.reason ?? '',
    source: options.source,
    scenario: info.scenario.name,
    scenario_file: info.scenario.file,
    description: info.scenario.description ?? '',
    mode: broadcastModeOf(info),
    engine: info.stack?.engine ?? String(get(config, 'engine') ?? ''),
    provider: info.stack?.provider ?? '',
    nodes: uint(info.stack?.nodes),
    started_us: isoToUs(summary?.startedAt ?? info.startedAt),
    ended_us: summary ? isoToUs(summary.endedAt) : 0,
    duration_s: num(summary?.durationS),
    git_commit: info.git?.commit ?? '',
    git_dirty: info.git?.dirty === true ? 1 : info.git?.dirty === false ? 0 : -1,
    hostname: info.host?.hostname ?? '',
    platform: info.host?.platform ?? '',
    arch: info.host?.arch ?? '',
    cpus: uint(info.host?.cpus),
    cpu_model: info.host?.cpuModel ?? '',
    memory_bytes: uint(info.host?.memoryBytes),
    node_version: info.node ?? '',
    harness_version: info.harnessVersion ?? '',
    centrifugo_version: info.versions?.centrifugo ?? '',
    version_names: versions.map(([name]) => name),
    version_values: versions.map(([, value]) => String(value)),
    delivery_count: uint(delivery?.count),
    delivery_avg_ms: num(delivery?.avg),
    delivery_p50_ms: num(delivery?.med),
    delivery_p90_ms: num(delivery?.p90),
    delivery_p95_ms: num(delivery?.p95),
    delivery_p99_ms: num(delivery?.p99),
    delivery_p999_ms: num(delivery?.p999),
    delivery_max_ms: num(delivery?.max),
    messages_published: counter(metrics, 'messages_published'),
    messages_expected: counter(metrics, 'messages_expected'),
    messages_delivered: counter(metrics, 'messages_delivered'),
    messages_lost: counter(metrics, 'messages_lost'),
    messages_duplicated: counter(metrics, 'messages_duplicated'),
    messages_reordered: counter(metrics, 'messages_reordered'),
    messages_recovered: counter(metrics, 'messages_recovered'),
    reconnects: counter(metrics, 'reconnects'),
    publish_errors: counter(metrics, 'publish_errors'),
    errors: counter(metrics, 'errors'),
    pushes_enqueued: summary?.push_ledger ? uint(summary.push_ledger.enqueued) : counter(metrics, 'pushes_enqueued'),
    pushes_delivered: summary?.push_ledger ? uint(summary.push_ledger.delivered) : counter(metrics, 'pushes_delivered'),
    pushes_failed: summary?.push_ledger
      ? uint(Object.values(summary.push_ledger.failed).reduce((a, b) => a + b, 0))
      : counter(metrics, 'pushes_failed'),
    push_e2e_p99_ms: num(trend(metrics, 'push_e2e_latency')?.p99),
    thresholds_total: summary?.thresholds.length ?? 0,
    thresholds_failed: summary?.thresholds.filter((t) => !t.ok).length ?? 0,
    generator_workers: uint(summary?.generator.workers),
    generator_cpu_seconds: num(summary?.generator.cpuSeconds),
    generator_peak_rss_bytes: uint(summary?.generator.peakRssBytes),
    generator_max_elp99_ms: num(summary?.generator.maxEventLoopDelayP99Ms),
    error_codes: errors.map(([code]) => code),
    error_counts: errors.map(([, count]) => uint(count)),
    scenario_config: JSON.stringify(info.scenario.config ?? null),
    summary_json: summary ? JSON.stringify(summary) : '',
  };
}

/** `pushes_failed{reason=invalid_token}` (quotes optional; several labels joined by ',') → parts. */
export function parseMetricKey(key: string): { metric: string; labelName: string; labelValue: string } {
  const match = /^([^{]+)\{(.*)\}$/.exec(key);
  if (!match) return { metric: key, labelName: '', labelValue: '' };
  const pairs = match[2]!
    .split(',')
    .map((pair) => pair.split('='))
    .filter((parts) => parts.length === 2)
    .map(([name, value]) => [name!.trim(), value!.trim().replace(/^"(.*)"$/, '$1')] as const);
  return {
    metric: match[1]!.trim(),
    labelName: pairs.map(([name]) => name).join(','),
    labelValue: pairs.map(([, value]) => value).join(','),
  };
}

export interface PointRows {
  trend_seconds: Row[];
  value_seconds: Row[];
  generator_seconds: Row[];
}

/** The wall-clock µs of a point: its `ts` (end of the second), else derived from the run's start. */
export function pointTsUs(point: TimeseriesPoint, startedUs: number): number {
  return isoToUs(point.ts) || startedUs + (uint(point.t) + 1) * 1_000_000;
}

/**
 * One timeseries.ndjson line → rows. `onBadHistogram` hears about an undecodable `hdr` entry (the
 * row is still written, without buckets).
 */
export function pointRows(
  runId: string,
  shard: string,
  point: TimeseriesPoint,
  startedUs: number,
  onBadHistogram: (metric: string, error: unknown) => void = () => {},
): PointRows {
  const ts_us = pointTsUs(point, startedUs);
  const sec = uint(point.t);
  const base = { run_id: runId, shard, ts_us, sec };
  const trends = Object.entries(point.trends ?? {}).map(([metric, v]) => {
    let hist = { idx: [] as number[], cnt: [] as number[] };
    const encoded = point.hdr?.[metric];
    if (encoded) {
      try {
        hist = hdrToBuckets(encoded);
      } catch (error) {
        onBadHistogram(metric, error);
      }
    }
    return {
      ...base,
      metric,
      count: uint(v.count),
      avg_ms: num(v.avg),
      min_ms: num(v.min),
      med_ms: num(v.med),
      p90_ms: num(v.p90),
      p95_ms: num(v.p95),
      p99_ms: num(v.p99),
      p999_ms: num(v.p999),
      max_ms: num(v.max),
      hist_idx: hist.idx,
      hist_cnt: hist.cnt,
    };
  });
  const values = (kind: 'counter' | 'gauge', entries: Record<string, number> | undefined): Row[] =>
    Object.entries(entries ?? {}).map(([key, value]) => {
      const { metric, labelName, labelValue } = parseMetricKey(key);
      return { ...base, kind, metric, label_name: labelName, label_value: labelValue, value: num(value) };
    });
  return {
    trend_seconds: trends,
    value_seconds: [...values('counter', point.counters), ...values('gauge', point.gauges)],
    generator_seconds: point.generator
      ? [
          {
            ...base,
            cpu: num(point.generator.cpu),
            event_loop_delay_p99_ms: num(point.generator.eventLoopDelayP99Ms),
            rss_bytes: uint(point.generator.rssBytes),
          },
        ]
      : [],
  };
}

export function eventRow(runId: string, shard: string, startedUs: number, event: TimelineEvent): Row {
  return {
    run_id: runId,
    shard,
    ts_us: startedUs + Math.round(num(event.at) * 1_000_000),
    at_s: num(event.at),
    kind: event.kind,
    name: event.name,
    detail: event.detail ?? '',
  };
}

export function sampleRow(shard: string, sample: DeliverySample): Row {
  return {
    run_id: sample.run_id,
    shard,
    ts_us: uint(sample.ts_us),
    stream: String(sample.stream ?? ''),
    subscriber: String(sample.subscriber ?? ''),
    seq: uint(sample.seq),
    latency_us: uint(sample.latency_us),
    node: String(sample.node ?? ''),
    worker: uint(sample.worker),
    recovered: sample.recovered ? 1 : 0,
  };
}

export function ledgerRows(runId: string, shard: string, ledger: PushLedger): Row[] {
  const row = (outcome: string, reason: string, count: number): Row => ({
    run_id: runId,
    shard,
    outcome,
    reason,
    count: uint(count),
  });
  return [
    row('enqueued', '', ledger.enqueued),
    row('delivered', '', ledger.delivered),
    ...Object.entries(ledger.failed).map(([reason, count]) => row('failed', reason, count)),
    row('queued', '', ledger.queued),
    row('unaccounted', '', ledger.unaccounted),
  ];
}

export function thresholdRows(runId: string, thresholds: ThresholdResult[]): Row[] {
  return thresholds.map((t) => ({
    run_id: runId,
    metric: t.metric,
    expression: t.expression,
    ok: t.ok ? 1 : 0,
    has_value: t.value === null ? 0 : 1,
    value: num(t.value),
    abort_on_fail: t.abortOnFail ? 1 : 0,
  }));
}
