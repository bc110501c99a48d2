/**
 * Writes a realistic run directory for report tests: a fan-out run with a ramp-up, a Centrifugo node
 * killed and restarted mid-run (latency spike, disconnects, reconnects, a little loss), a push flood,
 * and the four files the results writer produces. Deterministic for a given seed, so tests can assert
 * exact values (e.g. the spike's height and second).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../../../common/seeded-random.ts';
import type {
  MetricSummary,
  PushLedger,
  RunInfo,
  RunSummary,
  TimelineEvent,
  TimeseriesPoint,
  TrendValues,
} from '../../../common/summary-types.ts';

export interface FixtureOptions {
  runId?: string;
  durationS?: number;
  scenarioName?: string;
  /** false → the run is marked invalid (generator saturated) with reasons. */
  valid?: boolean;
  withPush?: boolean;
  /** Write timeline.ndjson (else the report must fall back to summary.timeline). */
  timelineFile?: boolean;
  /** Write timeseries.ndjson. */
  timeseriesFile?: boolean;
  seed?: number;
  /** A run merged from shards: the clocks' uncertainty beside latency. */
  clock?: RunSummary['clock'];
}

/** Where the injected fault puts its latency spike, for tests that look for it. */
export const FIXTURE_FAULT_AT = 240;
export const FIXTURE_RESTART_AT = 270;
export const FIXTURE_SPIKE_MAX_MS = 2345.6;

function trendFrom(p50: number, spread: number, count: number): TrendValues {
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    count,
    avg: r(p50 * 1.15),
    min: r(p50 * 0.3),
    med: r(p50),
    p90: r(p50 * 1.8 * spread),
    p95: r(p50 * 2.3 * spread),
    p99: r(p50 * 4 * spread),
    p999: r(p50 * 7 * spread),
    max: r(p50 * 11 * spread),
  };
}

export function fixtureTimeline(durationS: number): TimelineEvent[] {
  return [
    { at: 0, kind: 'phase', name: 'ramp-up', detail: '0 → 1,000 subscribers in 30 s' },
    { at: 30, kind: 'phase', name: 'steady' },
    { at: FIXTURE_FAULT_AT, kind: 'fault', name: 'kill centrifugo-2', detail: 'SIGKILL' },
    { at: FIXTURE_RESTART_AT, kind: 'fault', name: 'start centrifugo-2' },
    { at: Math.max(durationS - 10, 31), kind: 'phase', name: 'drain' },
  ];
}

export function writeFixtureRun(root: string, options: FixtureOptions = {}): string {
  const durationS = options.durationS ?? 600;
  const runId = options.runId ?? '20261123-193000-a1b2';
  const scenarioName = options.scenarioName ?? 'fanout-1k-kill-node';
  const valid = options.valid ?? true;
  const withPush = options.withPush ?? true;
  const random = mulberry32(options.seed ?? 42);
  const dir = path.join(root, runId);
  mkdirSync(dir, { recursive: true });
  const t0 = Date.parse('2026-11-23T19:30:00.000Z');
  const timeline = fixtureTimeline(durationS);

  const points: TimeseriesPoint[] = [];
  let connected = 0;
  let queue = 0;
  const totals: Record<string, number> = {};
  for (let t = 0; t < durationS; t++) {
    const target = Math.min(1000, Math.round((1000 * (t + 1)) / 30));
    const faulted = t >= FIXTURE_FAULT_AT && t < FIXTURE_FAULT_AT + 6;
    connected = faulted ? Math.round(target / 2) : target;
    const published = t < 30 ? 0 : Math.round(95 + random() * 10);
    const delivered = published * (connected / 10);
    const lost = t === FIXTURE_FAULT_AT ? 37 : 0;
    const counters: Record<string, number> = {
      messages_published: published,
      messages_expected: published * (target / 10),
      messages_delivered: Math.round(delivered),
      messages_lost: lost,
      messages_duplicated: t === FIXTURE_FAULT_AT + 2 ? 4 : 0,
      messages_reordered: 0,
      reconnects: t >= FIXTURE_FAULT_AT + 1 && t <= FIXTURE_FAULT_AT + 6 ? 83 : 0,
      errors: t === FIXTURE_FAULT_AT ? 500 : 0,
    };
    const trends: Record<string, TrendValues> = {};
    if (published > 0) {
      const latency = trendFrom(2.5 + random() * 1.5, 1 + random() * 0.4, Math.round(delivered));
      if (t === FIXTURE_FAULT_AT + 1) latency.max = FIXTURE_SPIKE_MAX_MS;
      if (faulted) latency.p99 = 600 + random() * 300;
      trends.delivery_latency = latency;
    }
    const gauges: Record<string, number> = { subscribers_connected: connected };
    if (withPush) {
      const enqueued = t < durationS - 60 ? 200 : 0;
      const outage = t >= 400 && t < 420;
      const pushDelivered = outage ? 0 : Math.min(queue + enqueued, 260);
      const failed = t % 50 === 0 ? Math.min(3, queue + enqueued - pushDelivered) : 0;
      queue = queue + enqueued - pushDelivered - failed;
      counters.pushes_enqueued = enqueued;
      counters.pushes_delivered = pushDelivered;
      counters.pushes_failed = failed;
      gauges.push_queue_depth = queue;
      if (pushDelivered > 0) trends.push_e2e_latency = trendFrom(40 + queue / 10, 1.2, pushDelivered);
    }
    for (const [k, v] of Object.entries(counters)) totals[k] = (totals[k] ?? 0) + v;
    points.push({
      t,
      ts: new Date(t0 + (t + 1) * 1000).toISOString(),
      trends,
      counters,
      gauges,
      generator: {
        cpu: (valid ? 0.35 : 0.97) + random() * 0.1,
        eventLoopDelayP99Ms: (valid ? 3 : 40) + random() * 4,
        rssBytes: 180e6 + t * 1000,
      },
      hdr: { delivery_latency: 'HISTFAAAACl4nJNpmSzMwMDAxAABzFAaEbiZ' },
    });
  }

  const rate = (n: number) => Math.round((n / durationS) * 100) / 100;
  const metrics: Record<string, MetricSummary> = {
    delivery_latency: { type: 'trend', unit: 'ms', ...trendFrom(3.1, 1.3, totals.messages_delivered ?? 0) },
    connect_duration: { type: 'trend', unit: 'ms', ...trendFrom(4.2, 1.1, 1415) },
    reconnect_duration: { type: 'trend', unit: 'ms', ...trendFrom(310, 1.4, 415) },
    subscribers_connected: { type: 'gauge', value: 1000, min: 0, max: 1000 },
  };
  metrics.delivery_latency = { ...metrics.delivery_latency, max: FIXTURE_SPIKE_MAX_MS } as MetricSummary;
  for (const [k, v] of Object.entries(totals)) metrics[k] = { type: 'counter', count: v, rate: rate(v) };
  let pushLedger: PushLedger | undefined;
  if (withPush) {
    metrics.push_e2e_latency = { type: 'trend', unit: 'ms', ...trendFrom(55, 1.6, totals.pushes_delivered ?? 0) };
    metrics.push_queue_depth = { type: 'gauge', value: queue, min: 0, max: 4200 };
    const failed = totals.pushes_failed ?? 0;
    pushLedger = {
      enqueued: totals.pushes_enqueued ?? 0,
      delivered: totals.pushes_delivered ?? 0,
      failed: { unregistered: Math.max(failed - 1, 0), quota_exceeded: Math.min(failed, 1) },
      queued: queue,
      unaccounted: 0,
    };
  }
  const p99 = (metrics.delivery_latency as TrendValues).p99;
  const summary: RunSummary = {
    schemaVersion: 1,
    runId,
    scenario: scenarioName,
    startedAt: new Date(t0).toISOString(),
    endedAt: new Date(t0 + durationS * 1000).toISOString(),
    durationS,
    valid,
    invalidReasons: valid ? [] : ['generator event-loop delay p99 40.2 ms > 20 ms for 318 s', 'generator CPU > 90 %'],
    aborted: null,
    thresholds: [
      { metric: 'delivery_latency', expression: 'p(99)<250', ok: p99 < 250, value: p99, abortOnFail: false },
      {
        metric: 'messages_lost',
        expression: 'count==0',
        ok: (totals.messages_lost ?? 0) === 0,
        value: totals.messages_lost ?? 0,
        abortOnFail: false,
      },
    ],
    metrics,
    errorsByCode: { ws_close_3012: 412, ws_close_1006: 88, http_503: 12 },
    ...(pushLedger ? { push_ledger: pushLedger } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    generator: { workers: 2, cpuSeconds: durationS * 0.42, peakRssBytes: 212e6, maxEventLoopDelayP99Ms: 9.4 },
    timeline,
  };
  const run: RunInfo = {
    schemaVersion: 1,
    runId,
    scenario: {
      name: scenarioName,
      file: 'scenarios/fanout-kill-node.ts',
      description: 'Fan-out to 1,000 subscribers in rooms of 100; kill a Centrifugo node at 4:00.',
      config: { subscribers: 1000, roomSize: 100, rate: 100 },
    },
    startedAt: new Date(t0).toISOString(),
    git: { commit: '3a7f9b5c0ffee1234567890abcdef1234567890', dirty: false },
    host: {
      hostname: 'bench-01',
      platform: 'linux',
      arch: 'x64',
      cpus: 2,
      cpuModel: 'Intel(R) Xeon(R) CPU @ 2.20GHz',
      memoryBytes: 8 * 1024 ** 3,
    },
    node: 'v20.20.2',
    harnessVersion: '0.1.0',
    stack: { provider: 'local', engine: 'redis', nodes: 2 },
    versions: { centrifugo: '6.9.1', redis: '7.0.15', postgres: '15.14', nats: '2.10.26' },
  };

  writeFileSync(path.join(dir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  if (options.timeseriesFile ?? true) {
    writeFileSync(path.join(dir, 'timeseries.ndjson'), points.map((p) => `${JSON.stringify(p)}\n`).join(''));
  }
  if (options.timelineFile ?? true) {
    writeFileSync(path.join(dir, 'timeline.ndjson'), timeline.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
  return dir;
}
