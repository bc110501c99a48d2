import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { mulberry32 } from '../../common/seeded-random.ts';
import {
  type DeliverySample,
  type MetricSummary,
  type PushLedger,
  type RunInfo,
  type RunSummary,
  SUMMARY_SCHEMA_VERSION,
  type TimelineEvent,
  type TimeseriesPoint,
  type TrendValues,
} from '../../common/summary-types.ts';
import { RUN_FILES } from './run-files.ts';

/**
 * Writes a realistic run folder (run.json, summary.json, timeseries.ndjson with per-second HDR
 * histograms, timeline.ndjson, samples.ndjson) with known numbers, for tests of the ClickHouse path
 * and the dashboards while no real run exists — and as a known answer: every count below is exact.
 * Tests that want a real run instead take its folder (CENTRIFUGO_BENCH_TEST_RUN_DIR).
 */
export interface FixtureOptions {
  runId: string;
  startedAt: Date;
  seconds: number;
  mode?: string;
  engine?: 'memory' | 'redis' | 'nats';
  /** Deliveries per second (the fixture's fleet: publishes/s × subscribers). */
  deliveriesPerSecond?: number;
  /** Extra latency (ms) added while the fault is active, seconds [faultAt, faultAt + 3). */
  faultAt?: number;
  seed?: number;
  /** Every n-th delivery also goes to samples.ndjson. */
  sampleEvery?: number;
}

export interface FixtureTruth {
  dir: string;
  info: RunInfo;
  summary: RunSummary;
  points: number;
  trendRows: number;
  valueRows: number;
  events: number;
  samples: number;
  deliveries: number;
  lost: number;
  duplicated: number;
  reconnects: number;
  pushesEnqueued: number;
  pushesDelivered: number;
  pushesFailed: Record<string, number>;
}

function histogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

/** TrendValues (ms) of a µs histogram, as the engine computes them. */
function trendOf(h: Histogram): TrendValues {
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    count: h.totalCount,
    avg: ms(h.mean),
    min: ms(h.minNonZeroValue),
    med: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}

export function writeFixtureRun(root: string, options: FixtureOptions): FixtureTruth {
  const random = mulberry32(options.seed ?? 1);
  const dir = path.join(root, options.runId);
  mkdirSync(dir, { recursive: true });
  const seconds = options.seconds;
  const perSecond = options.deliveriesPerSecond ?? 200;
  const faultAt = options.faultAt ?? Math.min(5, Math.max(1, seconds - 4));
  const sampleEvery = options.sampleEvery ?? 10;
  const t0 = options.startedAt.getTime();
  const subscribers = 10;

  const info: RunInfo = {
    schemaVersion: 1,
    runId: options.runId,
    scenario: {
      name: 'fixture-fanout',
      file: 'scenarios/fixture-fanout.ts',
      description: 'fixture: 10 subscribers, 20 msg/s, one node killed and restarted',
      config: { mode: options.mode ?? 'api', stack: { engine: options.engine ?? 'redis', nodes: 2 } },
    },
    startedAt: options.startedAt.toISOString(),
    git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false },
    host: { hostname: 'fixture-host', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'fixture', memoryBytes: 8e9 },
    node: process.version,
    harnessVersion: '0.1.0',
    stack: { provider: 'local', engine: options.engine ?? 'redis', nodes: 2 },
    versions: { centrifugo: '6.9.1', redis: '7.0.15', clickhouse: '18.16.1' },
  };

  const runHists: Record<string, Histogram> = {};
  const counters: Record<string, number> = {};
  const lines: string[] = [];
  const sampleLines: string[] = [];
  let trendRows = 0;
  let valueRows = 0;
  let lost = 0;
  let duplicated = 0;
  let reconnects = 0;
  let deliveries = 0;
  let samples = 0;
  const pushesFailed: Record<string, number> = {};
  let pushesEnqueued = 0;
  let pushesDelivered = 0;

  for (let t = 0; t < seconds; t++) {
    const inFault = t >= faultAt && t < faultAt + 3;
    const hists: Record<string, Histogram> = {
      delivery_latency: histogram(),
      publish_duration: histogram(),
      creation_duration: histogram(),
      broadcast_duration: histogram(),
      push_enqueue_duration: histogram(),
      push_e2e_latency: histogram(),
    };
    if (t === 0) hists.connect_duration = histogram();
    if (t === faultAt + 1) hists.reconnect_duration = histogram();

    const lostNow = inFault ? 7 : 0;
    const dupNow = t === faultAt + 1 ? 3 : 0;
    const delivered = perSecond - lostNow;
    for (let i = 0; i < delivered; i++) {
      // Log-normal-ish around 2–4 ms, a tail to ~40 ms, +30 ms while the fault is active.
      const base = 1500 + random() * 2500 + (random() < 0.02 ? random() * 40_000 : 0);
      const latencyUs = Math.round(base + (inFault ? 30_000 * random() : 0));
      hists.delivery_latency!.recordValue(latencyUs);
      deliveries++;
      if (deliveries % sampleEvery === 0) {
        const sample: DeliverySample = {
          run_id: options.runId,
          ts_us: (t0 + t * 1000 + Math.floor((i / delivered) * 1000)) * 1000,
          stream: `personal:${i % subscribers}`,
          subscriber: `user-${i % subscribers}`,
          seq: t * (perSecond / subscribers) + Math.floor(i / subscribers) + 1,
          latency_us: latencyUs,
          node: i % 2 === 0 ? 'centrifugo-1' : 'centrifugo-2',
          worker: i % 2,
          recovered: inFault && i % 5 === 0,
        };
        sampleLines.push(JSON.stringify(sample));
        samples++;
      }
    }
    const published = perSecond / subscribers;
    for (let i = 0; i < published; i++) {
      hists.publish_duration!.recordValue(Math.round(800 + random() * 1200));
      hists.creation_duration!.recordValue(Math.round(2000 + random() * 3000));
      hists.broadcast_duration!.recordValue(Math.round(600 + random() * 900));
    }
    if (hists.connect_duration)
      for (let i = 0; i < subscribers; i++) hists.connect_duration.recordValue(3000 + i * 100);
    if (hists.reconnect_duration)
      for (let i = 0; i < 5; i++) hists.reconnect_duration.recordValue(250_000 + i * 10_000);

    const enqueued = 50;
    const failedUnregistered = t % 3 === 0 ? 1 : 0;
    const failedQuota = inFault ? 2 : 0;
    const pushDelivered = enqueued - failedUnregistered - failedQuota;
    for (let i = 0; i < enqueued; i++) hists.push_enqueue_duration!.recordValue(Math.round(400 + random() * 600));
    for (let i = 0; i < pushDelivered; i++) hists.push_e2e_latency!.recordValue(Math.round(20_000 + random() * 80_000));
    pushesEnqueued += enqueued;
    pushesDelivered += pushDelivered;
    if (failedUnregistered) pushesFailed.unregistered = (pushesFailed.unregistered ?? 0) + failedUnregistered;
    if (failedQuota) pushesFailed.quota_exceeded = (pushesFailed.quota_exceeded ?? 0) + failedQuota;

    const reconnectsNow = t === faultAt + 1 ? 5 : 0;
    lost += lostNow;
    duplicated += dupNow;
    reconnects += reconnectsNow;
    const second: Record<string, number> = {
      messages_published: published,
      messages_expected: perSecond,
      messages_delivered: delivered,
      messages_lost: lostNow,
      messages_duplicated: dupNow,
      messages_recovered: inFault ? 2 : 0,
      reconnects: reconnectsNow,
      errors: failedQuota,
      pushes_enqueued: enqueued,
      pushes_delivered: pushDelivered,
      pushes_failed: failedUnregistered + failedQuota,
    };
    // The per-reason breakdown of pushes_failed (labelled keys; the unlabelled key is the total).
    const labelled: Record<string, number> = {
      'pushes_failed{reason=unregistered}': failedUnregistered,
      'pushes_failed{reason=quota_exceeded}': failedQuota,
    };
    for (const [key, value] of Object.entries(second)) counters[key] = (counters[key] ?? 0) + value;
    const gauges = {
      subscribers_connected: inFault ? subscribers - 5 : subscribers,
      push_queue_depth: 5 + (inFault ? 20 : 0) + (t % 4),
    };

    const trends: Record<string, TrendValues> = {};
    const hdr: Record<string, string> = {};
    for (const [name, h] of Object.entries(hists)) {
      trends[name] = trendOf(h);
      hdr[name] = encodeIntoCompressedBase64(h);
      if (!runHists[name]) runHists[name] = histogram();
      runHists[name].add(h);
    }
    const point: TimeseriesPoint = {
      t,
      ts: new Date(t0 + (t + 1) * 1000).toISOString(),
      trends,
      counters: { ...second, ...labelled },
      gauges,
      generator: { cpu: 0.3 + random() * 0.2, eventLoopDelayP99Ms: 2 + random() * 3, rssBytes: 90e6 + t * 1e5 },
      hdr,
    };
    lines.push(JSON.stringify(point));
    trendRows += Object.keys(trends).length;
    valueRows += Object.keys(point.counters).length + Object.keys(gauges).length;
  }

  const timeline: TimelineEvent[] = [
    { at: 0, kind: 'phase', name: 'steady', detail: '20 msg/s to 10 subscribers' },
    { at: faultAt, kind: 'fault', name: 'kill centrifugo-2', detail: 'SIGKILL' },
    { at: faultAt + 3, kind: 'fault', name: 'start centrifugo-2' },
    { at: seconds - 1, kind: 'phase', name: 'drain' },
  ];
  const metrics: Record<string, MetricSummary> = {};
  for (const [name, h] of Object.entries(runHists)) metrics[name] = { type: 'trend', unit: 'ms', ...trendOf(h) };
  for (const [name, count] of Object.entries(counters))
    metrics[name] = { type: 'counter', count, rate: count / seconds };
  metrics.subscribers_connected = { type: 'gauge', value: subscribers, min: subscribers - 5, max: subscribers };
  const failedTotal = Object.values(pushesFailed).reduce((a, b) => a + b, 0);
  const ledger: PushLedger = {
    enqueued: pushesEnqueued,
    delivered: pushesDelivered,
    failed: pushesFailed,
    queued: pushesEnqueued - pushesDelivered - failedTotal,
    unaccounted: 0,
  };
  const p99 = (metrics.delivery_latency as { p99: number }).p99;
  const summary: RunSummary = {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    runId: options.runId,
    scenario: info.scenario.name,
    startedAt: info.startedAt,
    endedAt: new Date(t0 + seconds * 1000).toISOString(),
    durationS: seconds,
    valid: true,
    invalidReasons: [],
    aborted: null,
    thresholds: [
      { metric: 'delivery_latency', expression: 'p(99)<250', ok: p99 < 250, value: p99, abortOnFail: false },
      { metric: 'messages_lost', expression: 'count<1', ok: lost < 1, value: lost, abortOnFail: false },
    ],
    metrics,
    errorsByCode: { ws_close_3012: reconnects, fcm_429: pushesFailed.quota_exceeded ?? 0 },
    push_ledger: ledger,
    generator: { workers: 2, cpuSeconds: seconds * 0.4, peakRssBytes: 95e6, maxEventLoopDelayP99Ms: 5 },
    timeline,
  };

  writeFileSync(path.join(dir, RUN_FILES.info), `${JSON.stringify(info, null, 2)}\n`);
  writeFileSync(path.join(dir, RUN_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(path.join(dir, RUN_FILES.timeseries), `${lines.join('\n')}\n`);
  writeFileSync(path.join(dir, RUN_FILES.timeline), `${timeline.map((e) => JSON.stringify(e)).join('\n')}\n`);
  writeFileSync(path.join(dir, RUN_FILES.samples), `${sampleLines.join('\n')}\n`);
  return {
    dir,
    info,
    summary,
    points: seconds,
    trendRows,
    valueRows,
    events: timeline.length,
    samples,
    deliveries,
    lost,
    duplicated,
    reconnects,
    pushesEnqueued,
    pushesDelivered,
    pushesFailed,
  };
}
