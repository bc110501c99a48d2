import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../common/errors.ts';
import { monoUs } from '../../common/mono-clock.ts';
import type {
  MetricSummary,
  PushLedger,
  RunSummary,
  TimelineEvent,
  TimeseriesPoint,
} from '../../common/summary-types.ts';
import { parseOrExplain } from '../../common/validation.ts';
import {
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  newHistogram,
  trendSummary,
  trendValues,
} from '../metrics/histogram.ts';
import { buildPopulation, type Population, type Provider, registerPopulation } from './device-population.ts';
import { sinkFaultProfile } from './fault-variants.ts';
import { CumulativeHistogramDiff, GaugeTracker, GeneratorMonitor } from './flood-metrics.ts';
import { PushApi } from './push-api.ts';
import { type PushFlood, type PushFloodInput, PushFloodSchema, type PushFloodTargets } from './push-flood-schema.ts';
import { SinkControl, type SinkStats } from './sink-control.ts';

export type { PushFlood, PushFloodInput, PushFloodTargets };
export { PushFloodSchema };

export interface PushFloodProgress {
  phase: 'register' | 'enqueue' | 'drain' | 'done';
  devices: number;
  registered: number;
  total: number;
  enqueued: number;
  delivered: number;
  failed: number;
  queued: number;
}

export interface PushFloodHooks {
  signal?: AbortSignal;
  onPoint?(point: TimeseriesPoint): void;
  onEvent?(event: TimelineEvent): void;
  onProgress?(progress: PushFloodProgress): void;
}

/** The relay's aggregate ledger (`push_ledger_aggregate`), or another service's with the same shape. */
interface ApiLedger {
  pushes: number;
  fanout_pending: number;
  scheduled: number;
  enqueued: number;
  delivered: number;
  failed: Record<string, number>;
  queued: number;
  retries: number;
  unaccounted: number;
}

export interface PushFloodResult {
  metrics: Record<string, MetricSummary>;
  /**
   * Unit: one notification to one device. `unaccounted` is computed from independent counts (see README):
   * pushes the API acknowledged but its ledger lacks, counters that do not add up, tokens enqueued but not
   * targeted, deliveries the relay claims but the sink never receipted. 0 when everything is accounted for.
   */
  push_ledger: PushLedger;
  /** Where the ledger came from: the push API's own ledger, the sink's receipts only, or nowhere. */
  ledgerSource: 'api' | 'sink' | 'none';
  /** Cross-checks against the sink, when it was reachable. */
  sink?: { receipts: number; duplicates: number; deadTokenRepeatHits: number };
  /** Pushes the API accepted (uids) — the denominator of the ledger in push units. */
  pushesAccepted: number;
  /** Device messages the API scheduled for another attempt (429, 5xx, network), when its ledger says. */
  retries?: number;
  errorsByCode: Record<string, number>;
  timeline: TimelineEvent[];
  generator: RunSummary['generator'];
  valid: boolean;
  invalidReasons: string[];
  startedAt: string;
  endedAt: string;
  durationS: number;
  /** Whole-run HDR histograms (µs, compressed base64), by metric name. */
  histograms: Record<string, string>;
}

/** Above this event-loop delay p99 in any second the flood's generator is saturated and the run invalid. */
const FLOOD_MAX_EVENT_LOOP_DELAY_P99_MS = 240;
const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

/** Provider of push i in the token mode: the population's mix, interleaved evenly. */
function providerSequence(population: Population): (i: number) => Provider {
  const share = population.byProvider.fcm.length / population.devices.length;
  return (i) => {
    if (share === 1) return 'fcm';
    if (share === 0) return 'webpush';
    return Math.floor((i + 1) * share) > Math.floor(i * share) ? 'fcm' : 'webpush';
  };
}

/**
 * Runs a push flood (DESIGN §4): registers the device population, enqueues `pushes.total` pushes at
 * `pushes.rate` (open model: each push has an intended send time, stamped into the push as `bench_t`, so
 * the sink's end-to-end latency counts from it and a slow API cannot hide), waits until the queue drains,
 * then accounts for every push. One TimeseriesPoint per second through `hooks.onPoint`.
 */
export async function runPushFlood(
  floodInput: PushFloodInput,
  targets: PushFloodTargets,
  hooks: PushFloodHooks = {},
): Promise<PushFloodResult> {
  const flood: PushFlood = parseOrExplain(PushFloodSchema, floodInput, 'push flood', 'push');
  if (flood.sinkFaults !== 'none' && !targets.sinkControlUrl) {
    throw new UserError(
      'push.sinkFaults needs the sink control URL (a stack with pushSink, or targets.sinkControlUrl)',
    );
  }
  const t0 = monoUs();
  const startedAt = new Date();
  const at = () => Math.round((monoUs() - t0) / 1000) / 1000;
  const timeline: TimelineEvent[] = [];
  const event = (kind: TimelineEvent['kind'], name: string, detail?: string, when = at()) => {
    const e: TimelineEvent = { at: when, kind, name, ...(detail && { detail }) };
    timeline.push(e);
    hooks.onEvent?.(e);
  };
  const api = new PushApi(targets.relayUrl, targets.relayApiKey, {
    connections: Math.min(256, flood.pushes.concurrency),
  });
  const sink = targets.sinkControlUrl ? new SinkControl(targets.sinkControlUrl, targets.caFile) : undefined;
  const monitor = new GeneratorMonitor();
  const errors = new Map<string, number>();
  const countError = (code: string) => errors.set(code, (errors.get(code) ?? 0) + 1);
  const runTag = `flood-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const useScope = flood.api === 'relay';
  const progress: PushFloodProgress = {
    phase: 'register',
    devices: flood.devices.count,
    registered: 0,
    total: flood.pushes.total,
    enqueued: 0,
    delivered: 0,
    failed: 0,
    queued: 0,
  };
  const report = () => hooks.onProgress?.({ ...progress });
  let faultsApplied = false;

  try {
    // Phase 1: the device population.
    event('phase', 'register', `${flood.devices.count} devices (${flood.api})`);
    const population = await buildPopulation(flood.devices, sink);
    await registerPopulation(api, population, {
      bulk: flood.api === 'relay',
      batch: flood.devices.registrationBatch,
      signal: hooks.signal,
      onProgress: (n) => {
        progress.registered = n;
        report();
      },
    });
    event('phase', 'register done', `${population.devices.length} devices in ${at().toFixed(1)}s`);

    // Ledger source: the relay always has one; another service maybe.
    let ledgerSource: PushFloodResult['ledgerSource'] = 'none';
    const readLedger = async (): Promise<ApiLedger | undefined> => {
      const reply = await api.call<ApiLedger>('push_ledger_aggregate', useScope ? { scope: runTag } : {});
      return reply.ok ? reply.result : undefined;
    };
    if (flood.api === 'relay') ledgerSource = 'api';
    else if (flood.api === 'generic' && (await readLedger())) ledgerSource = 'api';
    else if (sink) ledgerSource = 'sink';
    // Without a run scope another service's ledger counts everything it ever did: subtract the baseline.
    const ledgerBaseline = ledgerSource === 'api' && !useScope ? await readLedger() : undefined;

    if (sink && flood.resetSinkStats) await sink.resetStats();
    if (sink && flood.sinkFaults !== 'none') {
      const profile = sinkFaultProfile(flood);
      const applied = await sink.setFaults(profile);
      faultsApplied = true;
      const appliedAt = at();
      event(
        'fault',
        `sink faults: ${typeof flood.sinkFaults === 'string' ? flood.sinkFaults : 'custom profile'}`,
        JSON.stringify(applied.profile),
      );
      for (const w of (profile.windows ?? []) as {
        startSeconds: number;
        durationSeconds: number;
        status: number;
        provider?: string;
      }[]) {
        const detail = `${w.provider ?? 'all'} answers ${w.status} for ${w.durationSeconds}s`;
        event('fault', `sink ${w.status} window`, detail, appliedAt + w.startSeconds);
      }
    }

    // Phase 2: enqueue, with a per-second reporter running beside it.
    const enqueueAll = newHistogram();
    let enqueueSecond = newHistogram();
    const lateness = newHistogram();
    let enqueuedSecond = 0;
    let expectedTargets = 0;
    const queueDepth = new GaugeTracker();
    const e2eDiff = new CumulativeHistogramDiff();
    let lastLedger: ApiLedger | undefined;
    let lastSink: SinkStats | undefined;
    let lastDelivered = 0;
    let lastFailed = 0;
    let ticking = false;
    let lastTickSecond = -1;

    const delivered = (ledger: ApiLedger | undefined, stats: SinkStats | undefined) =>
      ledger ? ledger.delivered - (ledgerBaseline?.delivered ?? 0) : (stats?.receipts ?? 0);
    const failedTotal = (ledger: ApiLedger | undefined) =>
      ledger ? sum(ledger.failed) - (ledgerBaseline ? sum(ledgerBaseline.failed) : 0) : 0;

    const tick = async (final = false) => {
      if (ticking && !final) return;
      ticking = true;
      try {
        const [ledger, stats] = await Promise.all([
          ledgerSource === 'api' ? readLedger() : undefined,
          sink ? sink.stats().catch(() => undefined) : undefined,
        ]);
        if (ledger) lastLedger = ledger;
        if (stats) lastSink = stats;
        const second = Math.max(lastTickSecond + 1, Math.floor((monoUs() - t0) / 1e6));
        lastTickSecond = second;
        const point: TimeseriesPoint = {
          t: second,
          ts: new Date().toISOString(),
          trends: {},
          counters: {},
          gauges: {},
          generator: monitor.sample(),
          hdr: {},
        };
        point.counters.pushes_enqueued = enqueuedSecond;
        enqueuedSecond = 0;
        if (enqueueSecond.totalCount) {
          point.trends.push_enqueue_duration = trendValues(enqueueSecond);
          point.hdr!.push_enqueue_duration = encodeHistogram(enqueueSecond);
        }
        enqueueSecond = newHistogram();
        const d = delivered(lastLedger, lastSink);
        const f = failedTotal(lastLedger);
        point.counters.pushes_delivered = d - lastDelivered;
        point.counters.pushes_failed = f - lastFailed;
        lastDelivered = d;
        lastFailed = f;
        if (lastLedger) {
          const depth =
            lastLedger.queued +
            lastLedger.fanout_pending -
            (ledgerBaseline ? ledgerBaseline.queued + ledgerBaseline.fanout_pending : 0);
          queueDepth.set(depth);
          point.gauges.push_queue_depth = depth;
          progress.queued = depth;
        }
        const e2e = stats ? e2eDiff.next(stats.latency.histogram) : undefined;
        if (e2e?.totalCount) {
          point.trends.push_e2e_latency = trendValues(e2e);
          point.hdr!.push_e2e_latency = encodeHistogram(e2e);
        }
        progress.delivered = d;
        progress.failed = f;
        hooks.onPoint?.(point);
        report();
      } catch {
        // A missed second is better than a stalled flood; the next tick catches the counters up.
      } finally {
        ticking = false;
      }
    };
    const ticker = setInterval(() => void tick(), 1000);

    let nextPush = 0;
    let accepted = 0;
    const recipients = flood.pushes.recipients;
    const providerOf = providerSequence(population);
    const cursor = { fcm: 0, webpush: 0, device: 0, topic: 0 };
    const padding = 'x'.repeat(Math.max(0, flood.pushes.payloadBytes - 120));
    const includeBenchHeaders = flood.api !== 'centrifugo-pro';

    const buildPush = (i: number, intendedUs: number) => {
      const t = String(intendedUs);
      const fcm = {
        message: { notification: { title: 'bench', body: `push ${i}` }, data: { pad: padding, bench_t: t } },
      };
      const webpush = {
        headers: includeBenchHeaders ? { TTL: '3600', 'X-Bench-T': t } : { TTL: '3600' },
        payload: { title: 'bench', body: `push ${i}`, pad: padding },
      };
      const expire = flood.pushes.expireAfterS
        ? { expire_at: Math.floor(Date.now() / 1000) + flood.pushes.expireAfterS }
        : {};
      let recipient: Record<string, unknown>;
      let notification: Record<string, unknown>;
      let targetsOfPush = 0;
      if (recipients.kind === 'token') {
        const provider = providerOf(i);
        const pool = population.byProvider[provider];
        const tokens: string[] = [];
        for (let k = 0; k < recipients.count; k++)
          tokens.push(population.devices[pool[cursor[provider]++ % pool.length]!]!.token);
        recipient = provider === 'fcm' ? { fcm_tokens: tokens } : { webpush_tokens: tokens };
        notification = provider === 'fcm' ? { fcm, ...expire } : { webpush, ...expire };
        targetsOfPush = tokens.length;
      } else if (recipients.kind === 'device') {
        const ids: string[] = [];
        for (let k = 0; k < recipients.count; k++)
          ids.push(population.devices[cursor.device++ % population.devices.length]!.id!);
        recipient = { filter: { ids } };
        notification = { fcm, webpush, ...expire };
      } else {
        const topics: string[] = [];
        for (let k = 0; k < recipients.count; k++)
          topics.push(population.topics[cursor.topic++ % population.topics.length]!);
        recipient = { filter: { topics } };
        notification = { fcm, webpush, ...expire };
      }
      return {
        body: { recipient, notification, uid: `${runTag}-${i}`, ...(useScope && { ledger_scope: runTag }) },
        targets: targetsOfPush,
      };
    };

    const enqueueOne = async (i: number, intendedUs: number) => {
      const push = buildPush(i, intendedUs);
      const started = monoUs();
      lateness.recordValue(Math.max(1, started - intendedUs));
      const reply = await api.call<{ uid: string }>('send_push_notification', push.body);
      const tookUs = Math.max(1, monoUs() - started);
      enqueueAll.recordValue(tookUs);
      enqueueSecond.recordValue(tookUs);
      if (reply.ok) {
        accepted++;
        enqueuedSecond++;
        expectedTargets += push.targets;
        progress.enqueued = accepted;
      } else {
        countError(reply.code);
      }
    };

    event(
      'phase',
      'enqueue',
      `${flood.pushes.total} pushes at ${flood.pushes.rate === 'max' ? 'max rate' : `${flood.pushes.rate}/s`}`,
    );
    progress.phase = 'enqueue';
    const enqueueStart = monoUs();
    if (flood.pushes.rate === 'max') {
      await Promise.all(
        Array.from({ length: flood.pushes.concurrency }, async () => {
          while (nextPush < flood.pushes.total && !hooks.signal?.aborted) await enqueueOne(nextPush++, monoUs());
        }),
      );
    } else {
      // Open model: push i is due at start + i/rate; late pushes go at once (lateness is in their latency).
      const intervalUs = 1e6 / flood.pushes.rate;
      const inflight = new Set<Promise<void>>();
      while (nextPush < flood.pushes.total && !hooks.signal?.aborted) {
        const now = monoUs();
        const due = enqueueStart + nextPush * intervalUs;
        if (due > now) {
          await sleep(Math.max(1, Math.min(50, (due - now) / 1000)));
          continue;
        }
        if (inflight.size >= flood.pushes.concurrency) {
          await Promise.race(inflight);
          continue;
        }
        const task = enqueueOne(nextPush++, Math.round(due));
        inflight.add(task);
        void task.finally(() => inflight.delete(task));
      }
      await Promise.all(inflight);
    }
    const enqueueS = (monoUs() - enqueueStart) / 1e6;
    event(
      'phase',
      'enqueue done',
      `${accepted} accepted in ${enqueueS.toFixed(1)}s (${(accepted / enqueueS).toFixed(0)}/s)`,
    );
    if (hooks.signal?.aborted) event('note', 'aborted', 'stopped by signal during enqueue');

    // Phase 3: drain.
    progress.phase = 'drain';
    event('phase', 'drain');
    const drainDeadline = monoUs() + flood.drainTimeoutS * 1e6;
    let drained = false;
    let lastReceipts = -1;
    let stableSince = monoUs();
    while (!hooks.signal?.aborted && monoUs() < drainDeadline) {
      if (ledgerSource === 'api') {
        const ledger = await readLedger();
        if (ledger) {
          lastLedger = ledger;
          const base = ledgerBaseline;
          const pushes = ledger.pushes - (base?.pushes ?? 0);
          const pending =
            ledger.queued +
            ledger.fanout_pending +
            ledger.scheduled -
            (base ? base.queued + base.fanout_pending + base.scheduled : 0);
          if (pushes >= accepted && pending <= 0) {
            drained = true;
            break;
          }
        }
      } else if (ledgerSource === 'sink' && sink) {
        const stats = await sink.stats();
        lastSink = stats;
        if (recipients.kind === 'token' && stats.receipts >= expectedTargets) {
          drained = true;
          break;
        }
        if (stats.receipts !== lastReceipts) {
          lastReceipts = stats.receipts;
          stableSince = monoUs();
        } else if (monoUs() - stableSince > 10e6) {
          drained = true; // no receipt for 10 s: whatever is missing is not coming
          break;
        }
      } else {
        drained = true;
        break;
      }
      await sleep(500);
    }
    event(
      'phase',
      drained ? 'drained' : 'drain timeout',
      drained ? undefined : `queue not empty after ${flood.drainTimeoutS}s`,
    );
    clearInterval(ticker);
    while (ticking) await sleep(10);
    await tick(true);

    // Phase 4: accounting.
    const finalSink = sink ? await sink.stats().catch(() => lastSink) : undefined;
    const ledger = accountFor({
      source: ledgerSource,
      api: lastLedger,
      baseline: ledgerBaseline,
      accepted,
      expectedTargets: recipients.kind === 'token' ? expectedTargets : undefined,
      sinkReceipts: finalSink && flood.resetSinkStats ? finalSink.receipts : undefined,
    });
    progress.phase = 'done';
    progress.delivered = ledger.delivered;
    progress.failed = sum(ledger.failed);
    progress.queued = ledger.queued;
    report();

    const endedAt = new Date();
    const durationS = (monoUs() - t0) / 1e6;
    const histograms: Record<string, string> = { push_enqueue_duration: encodeHistogram(enqueueAll) };
    const metrics: Record<string, MetricSummary> = {
      push_enqueue_duration: trendSummary(enqueueAll),
      pushes_enqueued: { type: 'counter', count: accepted, rate: accepted / Math.max(enqueueS, 1e-9) },
      pushes_delivered: { type: 'counter', count: ledger.delivered, rate: ledger.delivered / durationS },
      pushes_failed: { type: 'counter', count: sum(ledger.failed), rate: sum(ledger.failed) / durationS },
    };
    if (ledgerSource === 'api') metrics.push_queue_depth = queueDepth.summary();
    let e2e: Histogram | undefined;
    if (finalSink?.latency.histogram && flood.resetSinkStats) {
      e2e = decodeHistogram(finalSink.latency.histogram);
      metrics.push_e2e_latency = trendSummary(e2e);
      histograms.push_e2e_latency = encodeHistogram(e2e);
    }
    for (const [reason, n] of Object.entries(ledger.failed)) errors.set(`push_failed_${reason}`, n);
    if (ledger.unaccounted) errors.set('push_unaccounted', ledger.unaccounted);

    const invalidReasons: string[] = [];
    // The monitor reports the delay net of its 10 ms sampling resolution, like the engine's workers.
    if (monitor.maxLoopP99Ms > FLOOD_MAX_EVENT_LOOP_DELAY_P99_MS) {
      invalidReasons.push(
        `load generator saturated: event-loop delay p99 reached ${monitor.maxLoopP99Ms.toFixed(0)} ms`,
      );
    }
    if (flood.pushes.rate !== 'max' && lateness.totalCount) {
      const lateP99Ms = lateness.getValueAtPercentile(99) / 1000;
      if (lateP99Ms > 1000) {
        event(
          'note',
          'behind schedule',
          `p99 ${lateP99Ms.toFixed(0)} ms late: the API did not take ${flood.pushes.rate}/s`,
        );
      }
    }
    const deadRepeatHits = finalSink?.dead ? Object.values(finalSink.dead).reduce((a, d) => a + d.repeatHits, 0) : 0;
    monitor.sample();
    return {
      metrics,
      push_ledger: ledger,
      ledgerSource,
      ...(finalSink &&
        flood.resetSinkStats && {
          sink: {
            receipts: finalSink.receipts,
            duplicates: Math.max(0, finalSink.receipts - ledger.delivered),
            deadTokenRepeatHits: deadRepeatHits,
          },
        }),
      pushesAccepted: accepted,
      ...(lastLedger && { retries: lastLedger.retries - (ledgerBaseline?.retries ?? 0) }),
      errorsByCode: Object.fromEntries(errors),
      timeline: [...timeline].sort((a, b) => a.at - b.at),
      generator: {
        workers: 1,
        cpuSeconds: Math.round(monitor.cpuSeconds() * 100) / 100,
        peakRssBytes: monitor.peakRssBytes,
        maxEventLoopDelayP99Ms: Math.round(monitor.maxLoopP99Ms * 100) / 100,
      },
      valid: invalidReasons.length === 0,
      invalidReasons,
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      durationS: Math.round(durationS * 1000) / 1000,
      histograms,
    };
  } finally {
    monitor.stop();
    if (faultsApplied) await sink?.setFaults({}).catch(() => {});
    await api.close();
    await sink?.close();
  }
}

/**
 * The exact ledger (unit: one notification to one device). From the API's ledger when there is one —
 * pushes not fanned out yet count as one queued unit each — with `unaccounted` summed from independent
 * checks; from sink receipts alone otherwise (then only delivered is known: the rest is `queued`).
 */
export function accountFor(input: {
  source: 'api' | 'sink' | 'none';
  api?: ApiLedger;
  baseline?: ApiLedger;
  accepted: number;
  /** Device messages the flood asked for (raw-token recipients only; filters resolve inside the API). */
  expectedTargets?: number;
  /** Sink receipts since its stats were reset (only this flood used the sink). */
  sinkReceipts?: number;
}): PushLedger {
  if (input.source === 'api' && input.api) {
    const a = input.api;
    const b = input.baseline;
    const minus = (x: number, y: number | undefined) => x - (y ?? 0);
    const failed: Record<string, number> = {};
    for (const [reason, n] of Object.entries(a.failed)) {
      const v = n - (b?.failed[reason] ?? 0);
      if (v) failed[reason] = v;
    }
    const fanoutPending = minus(a.fanout_pending, b?.fanout_pending);
    const targets = minus(a.enqueued, b?.enqueued);
    const delivered = minus(a.delivered, b?.delivered);
    const queued = minus(a.queued, b?.queued);
    const pushes = minus(a.pushes, b?.pushes);
    let unaccounted = 0;
    // Pushes the API acknowledged with a uid but its ledger never counted (or counted without being asked).
    unaccounted += Math.abs(input.accepted - pushes);
    // The API's own counters must add up.
    unaccounted += Math.abs(targets - delivered - sum(failed) - queued);
    // Raw tokens: every token of every accepted push is one device message.
    if (input.expectedTargets !== undefined && fanoutPending === 0)
      unaccounted += Math.abs(input.expectedTargets - targets);
    // A delivery the sink never saw was not delivered.
    if (input.sinkReceipts !== undefined) unaccounted += Math.max(0, delivered - input.sinkReceipts);
    return {
      enqueued: targets + fanoutPending,
      delivered,
      failed,
      queued: queued + fanoutPending,
      unaccounted,
    };
  }
  const enqueued = input.expectedTargets ?? input.accepted;
  const delivered = input.source === 'sink' ? Math.min(enqueued, input.sinkReceipts ?? 0) : 0;
  return { enqueued, delivered, failed: {}, queued: enqueued - delivered, unaccounted: 0 };
}
