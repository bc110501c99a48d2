/**
 * runPushFlood: the push flood as a load driver (DESIGN §4, contract in ../driver.ts).
 *
 *   register devices ─▶ enqueue pushes (open model) ─▶ drain the queue ─▶ account for every push
 *                       └──── every second: tick → one TimeseriesPoint, saturation watch, progress ────┘
 *
 * In-process: one Node process calls the push API (the reference relay, Centrifugo PRO or another service
 * with its contract) and reads the sink's receipts. Self-contained: URLs and a key in, never the stack.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../common/errors.ts';
import { log } from '../../common/log.ts';
import { monoUs } from '../../common/mono-clock.ts';
import type { AggregateLedger, PushLedgerAggregateRequest } from '../../common/push-api.ts';
import type { MetricSummary, PushLedger, TimelineEvent } from '../../common/summary-types.ts';
import type { DriverHooks, DriverResult } from '../driver.ts';
import { type HonestyLimits, SaturationWatch } from '../honesty.ts';
import { MetricsAggregator } from '../metrics/aggregator.ts';
import { decodeHistogram, encodeHistogram, newHistogram, trendSummary } from '../metrics/histogram.ts';
import { ProcessMonitor } from '../metrics/process-monitor.ts';
import type { MetricsSnapshot } from '../metrics/recorder.ts';
import { buildPopulation, type Population, registerPopulation } from './device-population.ts';
import { sinkFaultProfile } from './fault-variants.ts';
import { deliveredByOthers, ownsSink, type PushFloodShard, shardLedgerKey } from './flood-shard.ts';
import { CumulativeHistogramDiff } from './histogram-diff.ts';
import { PushApi } from './push-api.ts';
import {
  type PushFlood,
  type PushFloodInput,
  type PushFloodTargets,
  parsePushFlood,
  recipientsPerCall,
} from './push-flood-schema.ts';
import { accountFor, ledgerProgress, sum } from './push-ledger.ts';
import { PushRequests } from './push-requests.ts';
import { SinkControl, type SinkStats } from './sink-control.ts';

export type { PushFlood, PushFloodInput, PushFloodShard, PushFloodTargets };
export { accountFor, parsePushFlood };

export interface PushFloodResult extends DriverResult {
  /**
   * Unit: one notification to one device. `unaccounted` is computed from independent counts (see README):
   * pushes the API acknowledged but its ledger lacks, counters that do not add up, tokens enqueued but not
   * targeted, deliveries the relay claims but the sink never receipted. 0 when everything is accounted for.
   */
  push_ledger: PushLedger;
  /** The same ledger, under the driver contract's name. */
  pushLedger: PushLedger;
  /** Where the ledger came from: the push API's own ledger, the sink's receipts only, or nowhere. */
  ledgerSource: 'api' | 'sink' | 'none';
  /** Cross-checks against the sink, when it was reachable. */
  sink?: { receipts: number; duplicates: number; deadTokenRepeatHits: number };
  /** Pushes the API accepted, in flood units: device messages (token / device recipients) or calls (topics). */
  pushesAccepted: number;
  /** Device messages the API scheduled for another attempt (429, 5xx, network), when its ledger says. */
  retries?: number;
}

/**
 * When the flood's own process is the bottleneck (the engine's SaturationWatch, honesty.ts): any one second
 * with event-loop delay p99 above 240 ms makes the run invalid — 250 ms as measured before the monitor
 * reported the delay net of its 10 ms sampling resolution. A late loop stamps pushes late and times enqueue
 * calls with its own queueing in them. CPU is no limit: the flood is one process whose job is to keep the
 * API busy (at rate 'max', calls back to back), so a busy core alone is not saturation; the loop delay
 * shows it falling behind. (Ticks start with the enqueue phase; the first one's sample reaches back to the
 * start of the run, so a registration that stalled the loop counts too — as it always has.)
 */
export const FLOOD_SATURATION_LIMITS: HonestyLimits = {
  maxEventLoopDelayP99Ms: 240,
  maxCpuShare: Number.POSITIVE_INFINITY,
  sustained: 1000,
};
const FLOOD_SATURATION_REMEDY = 'use a lower pushes.rate or pushes.concurrency, or a quieter machine';

/** The flood's process, as named in saturation reasons and per-second generator figures. */
const PROCESS = 'push flood';

type Phase = 'register' | 'enqueue' | 'drain' | 'done';

/**
 * Runs a push flood: registers the device population, enqueues `pushes.total` pushes at `pushes.rate` (open
 * model: each push has an intended send time, stamped into the push as `bench_t`, so the sink's end-to-end
 * latency counts from it and a slow API cannot hide), waits until the queue drains, then accounts for every
 * push. `flood` is parsed already (the scenario's `push`, or `parsePushFlood`).
 *
 * `shard`: one shard of a sharded flood (flood-shard.ts): `flood.pushes` is this shard's part already, it
 * registers and pushes to `shard.devices` of the population, starts at the common start barrier, and only
 * shard 0 touches the sink's run-wide state.
 */
export async function runPushFlood(
  flood: PushFlood,
  targets: PushFloodTargets,
  hooks: DriverHooks = {},
  shard?: PushFloodShard,
): Promise<PushFloodResult> {
  if (flood.sinkFaults !== 'none' && !targets.sinkControlUrl) {
    throw new UserError(
      'push.sinkFaults needs the sink control URL (a stack with pushSink, or targets.sinkControlUrl)',
    );
  }
  if (shard && flood.api !== 'relay') {
    throw new UserError(
      `push.api: ${flood.api} cannot be sharded: only the relay's ledger counts each shard's pushes apart; run it as one process`,
    );
  }
  return new PushFloodRun(flood, targets, hooks, shard).run();
}

class PushFloodRun {
  private readonly t0 = monoUs();
  private readonly startedAt = new Date();
  private readonly timeline: TimelineEvent[] = [];
  private readonly api: PushApi;
  private readonly sink: SinkControl | undefined;
  private readonly monitor = new ProcessMonitor();
  private readonly aggregator = new MetricsAggregator();
  private readonly watch = new SaturationWatch(FLOOD_SATURATION_LIMITS, { eventLoop: FLOOD_SATURATION_REMEDY });
  private readonly errors = new Map<string, number>();
  /** The flood's push ids and ledger scope; a shard's carry its index, so its pushes are told apart. */
  private readonly runTag: string;
  /** The relay counts this run's pushes in their own ledger scope; other APIs only have their whole ledger. */
  private readonly useScope: boolean;
  private phase: Phase = 'register';
  private faultsApplied = false;
  /** Stops the flood: the caller's signal, or an abortOnFail threshold (hooks.checkAbort). */
  private readonly stop = new AbortController();
  private aborted: DriverResult['aborted'] = null;
  private sinkStatsReset = false;
  /** Shard 0 of a sharded flood: the sink's run-wide figures cover every shard's pushes (flood-shard.ts). */
  private readonly ownsSink: boolean;
  /**
   * Added to each push's intended time (CLOCK_MONOTONIC µs) to stamp its `bench_t`: 0 in a single process; a
   * shard's offset to the coordinator minus the sink's (flood-shard.ts, "Time across machines").
   */
  private benchTOffsetUs = 0;
  /** After the drain, every shard's ledger (a sharded flood whose exchange succeeded). */
  private shardLedgers: Record<string, PushLedger> | undefined;

  private registered = 0;
  /** Flood units accepted: device messages (token / device recipients) or calls (topics). */
  private accepted = 0;
  /** Calls the API accepted (uids): what its ledger counts as pushes. */
  private acceptedCalls = 0;
  private delivered = 0;
  /** Device messages the pushes asked for (raw tokens). */
  private expectedTargets = 0;
  private enqueueS = 0;

  private ledgerSource: PushFloodResult['ledgerSource'] = 'none';
  private ledgerBaseline: AggregateLedger | undefined;
  private lastLedger: AggregateLedger | undefined;
  private lastSink: SinkStats | undefined;

  // The run's and the current second's figures.
  private readonly enqueueAll = newHistogram();
  private enqueueSecond = newHistogram();
  private readonly lateness = newHistogram();
  private enqueuedSecond = 0;
  private readonly e2eDiff = new CumulativeHistogramDiff();
  private lastDelivered = 0;
  private lastFailed = 0;
  private ticking = false;
  private lastTickSecond = -1;

  constructor(
    private readonly flood: PushFlood,
    targets: PushFloodTargets,
    private readonly hooks: DriverHooks,
    private readonly shard: PushFloodShard | undefined,
  ) {
    const tag = `flood-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    this.runTag = shard ? `${tag}-s${shard.index}` : tag;
    this.ownsSink = ownsSink(shard);
    this.api = new PushApi(targets.relayUrl, targets.relayApiKey, {
      connections: Math.min(256, flood.pushes.concurrency),
    });
    this.sink = targets.sinkControlUrl ? new SinkControl(targets.sinkControlUrl, targets.caFile) : undefined;
    this.useScope = flood.api === 'relay';
    const signal = hooks.signal;
    if (signal?.aborted) this.abort('signal', signal.reason);
    signal?.addEventListener('abort', () => this.abort('signal', signal.reason), { once: true });
  }

  async run(): Promise<PushFloodResult> {
    try {
      const population = await this.register();
      // Stopped while registering: nothing was pushed, and the result says so.
      if (population) {
        await this.chooseLedger();
        await this.resetSink();
        await this.measureSinkClock('before');
        // A shard waits for the others here (every shard registered, the sink reset by shard 0).
        if (await this.passStartBarrier()) {
          await this.applySinkFaults();
          const ticker = setInterval(() => void this.tick(), 1000);
          try {
            await this.enqueue(population);
            await this.drain();
            await this.measureSinkClock('after');
            // Ticks go on while the shard waits: shard 0's seconds carry the sink's e2e latencies to the end.
            await this.exchangeLedgers();
          } finally {
            clearInterval(ticker);
          }
          while (this.ticking) await sleep(10);
          await this.tick(true); // the last partial second
        }
      }
      return await this.account();
    } finally {
      this.monitor.stop();
      if (this.faultsApplied) await this.sink?.setFaults({}).catch(() => {});
      await this.api.close();
      await this.sink?.close();
    }
  }

  /** The first reason to stop wins; the phases see it on `this.stop.signal`. */
  private abort(by: 'signal' | 'threshold', reason: unknown): void {
    if (this.aborted) return;
    const text = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'stopped';
    this.aborted = { by, reason: text };
    this.event('note', 'aborted', `${by}: ${text} (during ${this.phase})`);
    this.stop.abort(new Error(text));
  }

  private at(): number {
    return Math.round((monoUs() - this.t0) / 1000) / 1000;
  }

  private event(kind: TimelineEvent['kind'], name: string, detail?: string, when = this.at()): void {
    const e: TimelineEvent = { at: when, kind, name, ...(detail && { detail }) };
    this.timeline.push(e);
    this.hooks.onEvent?.(e);
  }

  /** Devices while registering, pushes afterwards; rates are per second since the start. */
  private report(): void {
    const elapsedS = Math.max(1, (monoUs() - this.t0) / 1e6);
    const registering = this.phase === 'register';
    this.hooks.onProgress?.({
      phase: this.phase,
      connected: registering ? this.registered : this.accepted,
      target: registering ? this.flood.devices.count : this.flood.pushes.total,
      publishedPerSec: this.accepted / elapsedS,
      deliveredPerSec: this.delivered / elapsedS,
      p99Ms: null,
    });
  }

  // ── Phases ───────────────────────────────────────────────────────────────────────────────────────────

  /** The population, registered; undefined when the flood was stopped before it was. */
  private async register(): Promise<Population | undefined> {
    const { devices, api } = this.flood;
    const range = this.shard?.devices;
    this.event(
      'phase',
      'register',
      range
        ? `devices ${range.start}..${range.end - 1} of ${devices.count} (${api}, shard ${this.shard!.index}/${this.shard!.count})`
        : `${devices.count} devices (${api})`,
    );
    const population = await buildPopulation(devices, this.sink, this.shard?.devices);
    try {
      await registerPopulation(this.api, population, {
        bulk: api === 'relay',
        batch: devices.registrationBatch,
        signal: this.stop.signal,
        onProgress: (n) => {
          this.registered = n;
          this.report();
        },
      });
    } catch (error) {
      if (this.stop.signal.aborted) return undefined;
      throw error;
    }
    this.event('phase', 'register done', `${population.devices.length} devices in ${this.at().toFixed(1)}s`);
    return population;
  }

  private async readLedger(): Promise<AggregateLedger | undefined> {
    const request: PushLedgerAggregateRequest = this.useScope ? { scope: this.runTag } : {};
    const reply = await this.api.call<AggregateLedger>('push_ledger_aggregate', request);
    return reply.ok ? reply.result : undefined;
  }

  /** The relay always has a ledger; another service maybe; else the sink's receipts, if there is a sink. */
  private async chooseLedger(): Promise<void> {
    if (this.flood.api === 'relay') this.ledgerSource = 'api';
    else if (this.flood.api === 'generic' && (await this.readLedger())) this.ledgerSource = 'api';
    else if (this.sink) this.ledgerSource = 'sink';
    // Without a run scope another service's ledger counts everything it ever did: subtract the baseline.
    if (this.ledgerSource === 'api' && !this.useScope) this.ledgerBaseline = await this.readLedger();
  }

  /** Zeroes the sink's stats (this run's receipts alone), before any push; a sharded flood's shard 0 only. */
  private async resetSink(): Promise<void> {
    const { sink, flood } = this;
    if (sink && flood.resetSinkStats && this.ownsSink) {
      await sink.resetStats();
      this.sinkStatsReset = true;
    }
  }

  /**
   * A shard with a sink: the sink's clock offset to the coordinator, which its `bench_t` stamps take out
   * (flood-shard.ts). Before the flood it must work (uncorrected stamps would be off by the clocks' offset);
   * after the drain it is only recorded, for the drift; a failure there leaves shard.json's `clock.sink.after` null.
   */
  private async measureSinkClock(when: 'before' | 'after'): Promise<void> {
    const { shard, sink } = this;
    if (!shard || !sink || this.stop.signal.aborted) return;
    if (when === 'after') {
      await shard.sinkClockOffset(() => sink.clock(), when).catch(() => {});
      return;
    }
    const sinkOffsetUs = await shard.sinkClockOffset(() => sink.clock(), when);
    this.benchTOffsetUs = Math.round(shard.clockOffsetUs - sinkOffsetUs);
  }

  /**
   * A shard: waits for the common start. False when the run was stopped or aborted meanwhile (another shard
   * died, the coordinator gave up): nothing was pushed, and the result says so.
   */
  private async passStartBarrier(): Promise<boolean> {
    if (!this.shard || this.stop.signal.aborted) return !this.stop.signal.aborted;
    try {
      await this.shard.startBarrier();
      this.event('phase', 'start barrier passed', `shard ${this.shard.index}/${this.shard.count}`);
    } catch (error) {
      this.abort('signal', error);
    }
    return !this.stop.signal.aborted;
  }

  /**
   * A shard, after its drain: every shard's ledger, once all have drained. Shard 0 reads the sink's run-wide
   * figures only then. A failed exchange (the run aborted) stops this shard; its own ledger is still exact.
   */
  private async exchangeLedgers(): Promise<void> {
    if (!this.shard || this.stop.signal.aborted) return;
    try {
      const own = this.lastLedger ? this.ledgerNow() : undefined;
      this.shardLedgers = await this.shard.exchangeLedgers(own ? { [shardLedgerKey(this.shard.index)]: own } : {});
    } catch (error) {
      this.abort('signal', error);
    }
  }

  /** The ledger as it stands, without the sink cross-check (for the exchange). */
  private ledgerNow(): PushLedger {
    return accountFor({
      source: this.ledgerSource,
      api: this.lastLedger,
      baseline: this.ledgerBaseline,
      accepted: this.acceptedCalls,
      acceptedUnits: this.accepted,
      expectedTargets: this.flood.pushes.recipients.kind === 'token' ? this.expectedTargets : undefined,
    });
  }

  /** Applies the fault variant, just before enqueueing (a sharded flood: shard 0, at the common start). */
  private async applySinkFaults(): Promise<void> {
    const { sink, flood } = this;
    if (!sink || flood.sinkFaults === 'none' || !this.ownsSink) return;
    const profile = sinkFaultProfile(flood);
    const applied = await sink.setFaults(profile);
    this.faultsApplied = true;
    const appliedAt = this.at();
    this.event(
      'fault',
      `sink faults: ${typeof flood.sinkFaults === 'string' ? flood.sinkFaults : 'custom profile'}`,
      JSON.stringify(applied.profile),
    );
    for (const w of profile.windows ?? []) {
      const detail = `${w.provider ?? 'all'} answers ${w.status} for ${w.durationSeconds}s`;
      this.event('fault', `sink ${w.status} window`, detail, appliedAt + w.startSeconds);
    }
  }

  private async enqueue(population: Population): Promise<void> {
    const { pushes } = this.flood;
    const signal = this.stop.signal;
    const requests = new PushRequests(this.flood, population, this.runTag, this.useScope ? this.runTag : undefined);
    this.event(
      'phase',
      'enqueue',
      `${pushes.total} pushes at ${pushes.rate === 'max' ? 'max rate' : `${pushes.rate}/s`}`,
    );
    this.phase = 'enqueue';
    // Calls, not units: call c carries units [c·perCall, min((c+1)·perCall, total)); its intended time is its
    // first unit's, so batching never sends a unit later than it is due.
    const perCall = Math.max(1, Math.min(recipientsPerCall(pushes), requests.distinctPerCall));
    const calls = Math.ceil(pushes.total / perCall);
    const sizeOf = (c: number) => Math.min(perCall, pushes.total - c * perCall);
    let next = 0;
    const started = monoUs();
    if (pushes.rate === 'max') {
      await Promise.all(
        Array.from({ length: pushes.concurrency }, async () => {
          while (next < calls && !signal.aborted) {
            const c = next++;
            await this.enqueueOne(requests, c, monoUs(), sizeOf(c));
          }
        }),
      );
    } else {
      // Open model: unit u is due at start + u/rate; late calls go at once (lateness is in their latency). A
      // shard's calls are shifted by its phase (k/n of an interval) so the shards' calls interleave.
      const intervalUs = (1e6 * perCall) / pushes.rate;
      const inflight = new Set<Promise<void>>();
      while (next < calls && !signal.aborted) {
        const now = monoUs();
        const due = started + (next + pushes.phase) * intervalUs;
        if (due > now) {
          await sleep(Math.max(1, Math.min(50, (due - now) / 1000)));
          continue;
        }
        if (inflight.size >= pushes.concurrency) {
          await Promise.race(inflight);
          continue;
        }
        const c = next++;
        const task = this.enqueueOne(requests, c, Math.round(due), sizeOf(c));
        inflight.add(task);
        void task.finally(() => inflight.delete(task));
      }
      await Promise.all(inflight);
    }
    this.enqueueS = (monoUs() - started) / 1e6;
    const rate = (this.accepted / this.enqueueS).toFixed(0);
    this.event('phase', 'enqueue done', `${this.accepted} accepted in ${this.enqueueS.toFixed(1)}s (${rate}/s)`);
  }

  private async enqueueOne(requests: PushRequests, i: number, intendedUs: number, size: number): Promise<void> {
    const push = requests.build(i, intendedUs + this.benchTOffsetUs, size);
    const started = monoUs();
    this.lateness.recordValue(Math.max(1, started - intendedUs));
    const reply = await this.api.call<{ uid: string }>('send_push_notification', push.body);
    const tookUs = Math.max(1, monoUs() - started);
    this.enqueueAll.recordValue(tookUs);
    this.enqueueSecond.recordValue(tookUs);
    if (reply.ok) {
      this.acceptedCalls++;
      this.accepted += push.units;
      this.enqueuedSecond += push.units;
      this.expectedTargets += push.targets;
    } else {
      this.countError(reply.code);
    }
  }

  /**
   * Until every accepted push is known, fanned out and settled (API ledger), or the expected receipts arrived
   * or stopped arriving (sink only), or `drainTimeoutS` passed.
   */
  private async drain(): Promise<void> {
    const signal = this.stop.signal;
    this.phase = 'drain';
    this.event('phase', 'drain');
    const deadline = monoUs() + this.flood.drainTimeoutS * 1e6;
    let drained = false;
    let lastReceipts = -1;
    let stableSince = monoUs();
    while (!signal.aborted && monoUs() < deadline) {
      if (this.ledgerSource === 'api') {
        const ledger = await this.readLedger();
        if (ledger) {
          this.lastLedger = ledger;
          const progress = ledgerProgress(ledger, this.ledgerBaseline);
          if (progress.pushes >= this.acceptedCalls && progress.pending <= 0) {
            drained = true;
            break;
          }
        }
      } else if (this.ledgerSource === 'sink' && this.sink) {
        const stats = await this.sink.stats();
        this.lastSink = stats;
        if (this.flood.pushes.recipients.kind === 'token' && stats.receipts >= this.expectedTargets) {
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
    this.event(
      'phase',
      drained ? 'drained' : 'drain timeout',
      drained ? undefined : `queue not empty after ${this.flood.drainTimeoutS}s`,
    );
  }

  // ── The second ───────────────────────────────────────────────────────────────────────────────────────

  /** Delivered and failed so far: the API's ledger, or the sink's receipts when there is no ledger. */
  private settledSoFar(): { delivered: number; failed: number } {
    if (this.lastLedger) {
      const progress = ledgerProgress(this.lastLedger, this.ledgerBaseline);
      return { delivered: progress.delivered, failed: progress.failed };
    }
    return { delivered: this.lastSink?.receipts ?? 0, failed: 0 };
  }

  /**
   * One second: the ledger and the sink's stats read, the second's counters, enqueue timings and e2e
   * latencies (the sink's cumulative histogram minus the last poll) into one TimeseriesPoint, the process's
   * own figures into the saturation watch. Ticks run while pushes are enqueued and drained, plus the closing one.
   */
  private async tick(final = false): Promise<void> {
    if (this.ticking && !final) return;
    this.ticking = true;
    try {
      const [ledger, stats] = await Promise.all([
        this.ledgerSource === 'api' ? this.readLedger() : undefined,
        this.sink && this.ownsSink ? this.sink.stats().catch(() => undefined) : undefined,
      ]);
      if (ledger) this.lastLedger = ledger;
      if (stats) this.lastSink = stats;
      const second = Math.max(this.lastTickSecond + 1, Math.floor((monoUs() - this.t0) / 1e6));
      this.lastTickSecond = second;
      const sample = this.monitor.sample();
      const { delivered, failed } = this.settledSoFar();
      const snapshot: MetricsSnapshot = {
        trends: {},
        counters: {
          pushes_enqueued: this.enqueuedSecond,
          pushes_delivered: delivered - this.lastDelivered,
          pushes_failed: failed - this.lastFailed,
        },
        gauges: {},
        errors: {},
      };
      this.enqueuedSecond = 0;
      this.lastDelivered = delivered;
      this.lastFailed = failed;
      if (this.enqueueSecond.totalCount) snapshot.trends.push_enqueue_duration = encodeHistogram(this.enqueueSecond);
      this.enqueueSecond = newHistogram();
      if (this.lastLedger) {
        snapshot.gauges.push_queue_depth = ledgerProgress(this.lastLedger, this.ledgerBaseline).depth;
      }
      const e2e = stats ? this.e2eDiff.next(stats.latency.histogram) : undefined;
      if (e2e?.totalCount) snapshot.trends.push_e2e_latency = encodeHistogram(e2e);
      this.aggregator.add(PROCESS, snapshot, sample);
      const point = this.aggregator.closeSecond(second);
      this.watch.observe(PROCESS, sample, second, true);
      this.delivered = delivered;
      this.hooks.onPoint?.(point);
      this.report();
      // abortOnFail thresholds, like the engine's: judged on the run so far, while pushes flow.
      const reason = final ? undefined : this.hooks.checkAbort?.(this.aggregator.summaries(second));
      if (reason) this.abort('threshold', reason);
    } catch {
      // A missed second is better than a stalled flood; the next tick catches the counters up.
    } finally {
      this.ticking = false;
    }
  }

  private countError(code: string, by = 1): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + by);
  }

  // ── Accounting and result ────────────────────────────────────────────────────────────────────────────

  private async account(): Promise<PushFloodResult> {
    const { flood, sink, lastLedger, ledgerBaseline } = this;
    const finalSink = sink && this.ownsSink ? await sink.stats().catch(() => this.lastSink) : undefined;
    // The sink's figures are this flood's alone once its stats were reset (not when stopped before that); a
    // sharded flood's are the whole run's, on shard 0, once it knows what every other shard delivered.
    const others = this.shard ? this.othersDelivered() : 0;
    const sinkIsOurs = finalSink !== undefined && this.sinkStatsReset && others !== undefined;
    // What the sink received for this flood's pushes: all of it, less the other shards' deliveries.
    const ourReceipts = sinkIsOurs ? finalSink.receipts - (others ?? 0) : undefined;
    const ledger = accountFor({
      source: this.ledgerSource,
      api: lastLedger,
      baseline: ledgerBaseline,
      accepted: this.acceptedCalls,
      acceptedUnits: this.accepted,
      expectedTargets: flood.pushes.recipients.kind === 'token' ? this.expectedTargets : undefined,
      sinkReceipts: ourReceipts,
    });
    this.phase = 'done';
    this.delivered = ledger.delivered;
    this.report();

    const endedAt = new Date();
    const durationS = (monoUs() - this.t0) / 1e6;
    const failed = sum(ledger.failed);
    const histograms: Record<string, string> = { push_enqueue_duration: encodeHistogram(this.enqueueAll) };
    const metrics: Record<string, MetricSummary> = {
      push_enqueue_duration: trendSummary(this.enqueueAll),
      pushes_enqueued: { type: 'counter', count: this.accepted, rate: this.accepted / Math.max(this.enqueueS, 1e-9) },
      pushes_delivered: { type: 'counter', count: ledger.delivered, rate: ledger.delivered / durationS },
      pushes_failed: { type: 'counter', count: failed, rate: failed / durationS },
    };
    if (this.ledgerSource === 'api') {
      metrics.push_queue_depth = this.aggregator.summaries(durationS).push_queue_depth ?? {
        type: 'gauge',
        value: 0,
        min: 0,
        max: 0,
      };
    }
    if (sinkIsOurs && finalSink.latency.histogram) {
      const e2e = decodeHistogram(finalSink.latency.histogram);
      metrics.push_e2e_latency = trendSummary(e2e);
      histograms.push_e2e_latency = encodeHistogram(e2e);
    }
    // Must be 0; a counter so that thresholds (`count==0`) and reports see it like any other metric.
    metrics.pushes_unaccounted = { type: 'counter', count: ledger.unaccounted, rate: 0 };
    for (const [reason, n] of Object.entries(ledger.failed)) this.errors.set(`push_failed_${reason}`, n);
    if (ledger.unaccounted) {
      this.errors.set('push_unaccounted', ledger.unaccounted);
      log.error('push', `ledger does not add up: ${ledger.unaccounted} pushes unaccounted`);
    }
    this.noteLateness();

    const invalidReasons = this.watch.finish();
    const generator = this.aggregator.generator;
    return {
      metrics,
      push_ledger: ledger,
      pushLedger: ledger,
      ledgerSource: this.ledgerSource,
      ...(sinkIsOurs && {
        sink: {
          receipts: finalSink.receipts,
          duplicates: Math.max(0, ourReceipts! - ledger.delivered),
          deadTokenRepeatHits: Object.values(finalSink.dead ?? {}).reduce((a, d) => a + d.repeatHits, 0),
        },
      }),
      pushesAccepted: this.accepted,
      ...(lastLedger && { retries: ledgerProgress(lastLedger, ledgerBaseline).retries }),
      errorsByCode: Object.fromEntries(this.errors),
      timeline: [...this.timeline].sort((a, b) => a.at - b.at),
      generator: {
        workers: 1,
        cpuSeconds: Math.round(generator.cpuSeconds * 100) / 100,
        peakRssBytes: generator.peakRssBytes,
        maxEventLoopDelayP99Ms: Math.round(generator.maxEventLoopDelayP99Ms * 100) / 100,
      },
      valid: invalidReasons.length === 0,
      invalidReasons,
      accounted: true,
      aborted: this.aborted,
      startedAt: this.startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      durationS: Math.round(durationS * 1000) / 1000,
      histograms,
    };
  }

  /** A shard: what the other shards delivered, from the exchange; undefined when it did not happen. */
  private othersDelivered(): number | undefined {
    return this.shard && this.shardLedgers ? deliveredByOthers(this.shardLedgers, this.shard.index) : undefined;
  }

  /** A fixed-rate flood that fell behind its schedule: a timeline note (its latency already shows it). */
  private noteLateness(): void {
    const rate = this.flood.pushes.rate;
    if (rate === 'max' || !this.lateness.totalCount) return;
    const lateP99Ms = this.lateness.getValueAtPercentile(99) / 1000;
    if (lateP99Ms > 1000) {
      this.event('note', 'behind schedule', `p99 ${lateP99Ms.toFixed(0)} ms late: the API did not take ${rate}/s`);
    }
  }
}
