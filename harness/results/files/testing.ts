/**
 * The tests' entry to results/files: hand-made run data for tests of every module that reads a run (gate,
 * reports, ClickHouse loading) — a plausible summary and per-second points with chosen values.
 */
import {
  type MetricSummary,
  type RunSummary,
  SUMMARY_SCHEMA_VERSION,
  type TimeseriesPoint,
  type TrendValues,
} from '../../common/summary-types.ts';

export function trendValues(center: number, count = 1000): TrendValues {
  return {
    count,
    avg: center,
    min: center * 0.2,
    med: center * 0.9,
    p90: center * 1.6,
    p95: center * 1.9,
    p99: center * 2.5,
    p999: center * 3.2,
    max: center * 4,
  };
}

export function sampleSummary(overrides: Partial<RunSummary> = {}): RunSummary {
  const metrics: Record<string, MetricSummary> = {
    delivery_latency: { type: 'trend', unit: 'ms', ...trendValues(4.2, 120000) },
    publish_duration: { type: 'trend', unit: 'ms', ...trendValues(1.1, 1200) },
    messages_published: { type: 'counter', count: 1200, rate: 20 },
    messages_expected: { type: 'counter', count: 120000, rate: 2000 },
    messages_delivered: { type: 'counter', count: 120000, rate: 2000 },
    messages_lost: { type: 'counter', count: 0, rate: 0 },
    subscribers_connected: { type: 'gauge', value: 100, min: 0, max: 100 },
  };
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    runId: '20261123-120000-abcd',
    scenario: 'fanout-smoke',
    startedAt: '2026-11-23T12:00:00.000Z',
    endedAt: '2026-11-23T12:01:00.000Z',
    durationS: 60,
    valid: true,
    invalidReasons: [],
    aborted: null,
    thresholds: [
      { metric: 'delivery_latency', expression: 'p(99)<250', ok: true, value: 10.5, abortOnFail: false },
      { metric: 'messages_lost', expression: 'count==0', ok: true, value: 0, abortOnFail: false },
    ],
    metrics,
    errorsByCode: {},
    generator: { workers: 2, cpuSeconds: 12.5, peakRssBytes: 150 * 1024 * 1024, maxEventLoopDelayP99Ms: 3.1 },
    timeline: [
      { at: 0, kind: 'phase', name: 'publish' },
      { at: 60, kind: 'phase', name: 'drain' },
    ],
    ...overrides,
  };
}

/** One second of a run: delivery latency centred on `latencyMs`, `delivered` messages that second. */
export function samplePoint(t: number, latencyMs: number, delivered: number): TimeseriesPoint {
  return {
    t,
    ts: new Date(Date.UTC(2026, 10, 23, 12, 0, t + 1)).toISOString(),
    trends: { delivery_latency: trendValues(latencyMs, delivered) },
    counters: { messages_delivered: delivered, messages_published: Math.round(delivered / 100) },
    gauges: { subscribers_connected: 100 },
    generator: { cpu: 0.4, eventLoopDelayP99Ms: 2, rssBytes: 100 * 1024 * 1024 },
  };
}
