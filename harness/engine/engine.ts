/**
 * runEngine: one load run, from worker start to exact accounting.
 *
 *   start workers ─▶ connect (ramp) ─▶ publish (executor, faults) ─▶ drain ─▶ account ─▶ close
 *         └──────── every second: tick → snapshots → one TimeseriesPoint, honesty, checkAbort ────────┘
 *
 * The parent only coordinates: subscribers live in worker processes (slices of the audience), publishing
 * runs in its own worker process, and the parent merges their per-second snapshots. Workers and their
 * sockets are closed whatever happens (end, failure, abort).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../common/errors.ts';
import { log, registerSecret } from '../common/log.ts';
import { monoUs } from '../common/mono-clock.ts';
import type { DeliverySample, MetricSummary, RunSummary, TimelineEvent } from '../common/summary-types.ts';
import type { StreamFinal, StreamProgress } from './accounting/publish-ledger.ts';
import { channelsByStream, sliceAudience, synthesizeAudience } from './audience.ts';
import type { EngineHooks, EngineResult, EngineTargets } from './engine-types.ts';
import { type ExecutorConfig, planExecutor } from './executors/index.ts';
import { FaultTimeline, missingFaultFunctions } from './fault-timeline.ts';
import { planFleet } from './fleet-plan.ts';
import { SaturationWatch } from './honesty.ts';
import {
  type ConnectRamp,
  emptyAccounting,
  type ParentToPublisher,
  type ParentToSubscriber,
  type PublisherToParent,
  type SubscriberAccounting,
  type SubscriberToParent,
} from './ipc.ts';
import { MetricsAggregator } from './metrics/aggregator.ts';
import { ProcessMonitor, type ProcessSample } from './metrics/process-monitor.ts';
import { describeSlowdown, rampDurationMs } from './plan.ts';
import { prepareSocketReader } from './protocol/socket-reader/build.ts';
import { WorkerProcess } from './worker-process.ts';
import { DEFAULT_CONNECT_RATE, type Workload } from './workload.ts';

type SubscriberWorker = WorkerProcess<ParentToSubscriber, SubscriberToParent>;
type PublisherWorker = WorkerProcess<ParentToPublisher, PublisherToParent>;

const SUBSCRIBER_ENTRY = new URL('./subscribers/subscriber-worker.ts', import.meta.url);
const PUBLISHER_ENTRY = new URL('./publishers/publisher-worker.ts', import.meta.url);

/** Phases in which latency is measured (and generator saturation invalidates the run). */
const MEASURING = new Set(['publish', 'drain']);

/** Sampled delivery rows per second, fleet-wide, unless hooks.samples.maxPerSecond says otherwise. */
const DEFAULT_MAX_SAMPLES_PER_SECOND = 5000;

/**
 * `workload` is parsed already (parseWorkload, at the edge) and is only read: the run pipeline hands over
 * a deeply frozen one. What is checked here is the workload against the targets, not its shape.
 */
export async function runEngine(
  workload: Workload,
  targets: EngineTargets,
  hooks: EngineHooks = {},
): Promise<EngineResult> {
  const wsUrls = checkTargets(workload, targets, hooks);
  registerSecret(targets.centrifugo.hmacSecret);
  registerSecret(targets.centrifugo.apiKey);
  return new EngineRun(workload, targets, hooks, wsUrls).run();
}

/** Everything the caller can get wrong, before any process starts. */
function checkTargets(workload: Workload, targets: EngineTargets, hooks: EngineHooks): string[] {
  const { wsUrls, apiUrls } = targets.centrifugo;
  if (!apiUrls.length) throw new UserError('no Centrifugo API URL to publish through (targets.centrifugo.apiUrls)');
  const nodes = workload.subscribers.nodes;
  let selected = wsUrls;
  if (nodes !== 'all') {
    const bad = nodes.filter((n) => n > wsUrls.length);
    if (bad.length) {
      throw new UserError(
        `invalid workload: workload.subscribers.nodes: node ${bad[0]} does not exist (the stack has ${wsUrls.length})`,
      );
    }
    selected = nodes.map((n) => wsUrls[n - 1]!);
  }
  if (workload.subscribers.count > 0 && !selected.length) {
    throw new UserError('no Centrifugo WebSocket URL for subscribers (targets.centrifugo.wsUrls)');
  }
  for (const fault of workload.faults) {
    if ('node' in fault && fault.node > wsUrls.length) {
      throw new UserError(
        `invalid workload: workload.faults: node ${fault.node} does not exist (the stack has ${wsUrls.length})`,
      );
    }
  }
  const samples = hooks.samples;
  if (samples && !(samples.rate >= 0 && samples.rate <= 1)) {
    throw new UserError(`samples.rate must be between 0 and 1 (got ${samples.rate})`);
  }
  if (samples?.maxPerSecond !== undefined && !(Number.isInteger(samples.maxPerSecond) && samples.maxPerSecond > 0)) {
    throw new UserError(`samples.maxPerSecond must be a positive integer (got ${samples.maxPerSecond})`);
  }
  const missing = missingFaultFunctions(workload.faults, hooks.faults);
  if (missing.length) {
    throw new UserError(`invalid workload: workload.faults: this stack cannot perform ${missing.join(', ')}`);
  }
  if (targets.audience && targets.audience.length !== workload.subscribers.count) {
    throw new UserError(
      `invalid workload: workload.subscribers.count is ${workload.subscribers.count} but the audience has ` +
        `${targets.audience.length} members; make them equal`,
    );
  }
  return selected;
}

class EngineRun {
  private readonly startedAt = new Date();
  private readonly t0 = performance.now();
  private readonly timeline: TimelineEvent[] = [];
  private readonly stop = new AbortController();
  private aborted: RunSummary['aborted'] = null;
  private phase = 'start';
  private readonly aggregator = new MetricsAggregator();
  private readonly watch: SaturationWatch;
  private readonly parentMonitor = new ProcessMonitor();
  private subscribers: SubscriberWorker[] = [];
  private publisher: PublisherWorker | undefined;
  private faults: FaultTimeline | undefined;
  // Latest per-worker state from snapshots.
  private readonly connected = new Map<string, number>();
  private readonly targetCount = new Map<string, number>();
  private readonly missing = new Map<string, number>();
  private readonly replied = new Set<string>();
  private readonly processSamples = new Map<string, ProcessSample>();
  private tickerStopped = false;
  private readonly tickerSleep = new AbortController();
  private ticker: Promise<void> | undefined;
  /** Last tick sent, and last tick whose replies were all in (or timed out). */
  private tickSeq = 0;
  private completedSeq = 0;
  private publisherDone: { atUs: number; streams: Record<string, StreamFinal> } | undefined;
  /** A shard's own streams, when `finals` holds every shard's (hooks.exchangePublished). */
  private publishedByThisProcess: Record<string, StreamFinal> | undefined;
  private onAbortSignal: (() => void) | undefined;
  /** Publishing starts with the connection ramp (publishers.startAfter 'ramp-start'). */
  private readonly alongsideRamp: boolean;
  private rampCompleteNoted = false;
  /** Sampled rows received since the last tick, and the run's totals. */
  private readonly sampling: boolean;
  private sampleRows: DeliverySample[] = [];
  private samplesKept = 0;
  private samplesDropped = 0;

  constructor(
    private readonly workload: Workload,
    private readonly targets: EngineTargets,
    private readonly hooks: EngineHooks,
    private readonly wsUrls: string[],
  ) {
    this.watch = new SaturationWatch(workload.limits);
    this.alongsideRamp = workload.publishers.startAfter === 'ramp-start';
    this.sampling = (hooks.samples?.rate ?? 0) > 0 && hooks.onSamples !== undefined;
  }

  private elapsedS(): number {
    return Math.round((performance.now() - this.t0) / 100) / 10;
  }

  private event(kind: TimelineEvent['kind'], name: string, detail?: string): void {
    const event: TimelineEvent = { at: this.elapsedS(), kind, name, ...(detail ? { detail } : {}) };
    this.timeline.push(event);
    this.hooks.onEvent?.(event);
    log.info('engine', `${name}${detail ? `: ${detail}` : ''}`);
  }

  private enterPhase(name: string, detail?: string): void {
    this.phase = name;
    this.event('phase', name, detail);
  }

  private abort(by: string, reason: string): void {
    if (this.aborted) return;
    this.aborted = { by, reason };
    // The connection count (as of the last second) says where a ramp under load stopped.
    const target = sum(this.targetCount);
    const at = target ? ` (${sum(this.connected)} of ${target} subscribers connected)` : '';
    this.event('note', 'aborted', `${by}: ${reason}${at}`);
    this.stop.abort(new Error(reason));
  }

  async run(): Promise<EngineResult> {
    const signal = this.hooks.signal;
    if (signal) {
      this.onAbortSignal = () => this.abort('signal', reasonOf(signal.reason) ?? 'stopped');
      if (signal.aborted) this.onAbortSignal();
      else signal.addEventListener('abort', this.onAbortSignal, { once: true });
    }
    let accounting: SubscriberAccounting | undefined;
    let finals: Record<string, StreamFinal> | undefined;
    try {
      await this.startWorkers();
      this.ticker = this.tickLoop();
      await this.connectPhase();
      finals = await this.publishPhase();
      const published = finals;
      // A shard: subscribers are owed what every shard published (this shard's own count stays its own).
      if (this.hooks.exchangePublished && !this.stop.signal.aborted) {
        finals = await this.hooks.exchangePublished(published);
        this.publishedByThisProcess = published;
        if (this.publisherDone) this.publisherDone = { ...this.publisherDone, streams: finals };
      }
      await this.drainPhase();
      await this.tickOnce(); // the last partial second
      if (this.sampling) this.noteSamples();
      this.enterPhase('account');
      accounting = await this.account(finals);
    } catch (error) {
      // Keeps the first reason when the run was already stopping (a signal, a threshold).
      this.abort('error', error instanceof Error ? error.message : String(error));
    } finally {
      await this.shutdown();
    }
    return this.result(accounting, finals);
  }

  // ── Workers ──────────────────────────────────────────────────────────────────────────────────────────

  private async startWorkers(): Promise<void> {
    const w = this.workload;
    const audience =
      this.targets.audience ?? synthesizeAudience(w.subscribers.count, w.publishers.target, w.subscribers.channel);
    const fleet = planFleet(audience.length, w.subscribers);
    const slices = sliceAudience(audience, fleet.workers);
    const ramp = w.subscribers;
    const executor = planExecutor(w.publishers as ExecutorConfig);
    // Node names as the stack names them: node-N is the N-th WebSocket URL (as fault steps count nodes).
    const nodeNames = this.wsUrls.map((url) => `node-${this.targets.centrifugo.wsUrls.indexOf(url) + 1}`);
    const samples = this.hooks.samples;
    const epochOffsetUs = Math.round((performance.timeOrigin + performance.now()) * 1000) - monoUs();
    const reader = prepareSocketReader(ramp.reader);
    this.enterPhase(
      'start-workers',
      `${fleet.workers} subscriber worker${fleet.workers === 1 ? '' : 's'} (≤ ${fleet.socketLimit} sockets each, ` +
        `open-files limit ${fleet.openFilesLimit}; ${reader.description}) + 1 publisher`,
    );

    this.publisher = new WorkerProcess('publisher', PUBLISHER_ENTRY);
    this.publisher.onMessage((message) => this.onPublisherMessage(message));
    this.publisher.send({
      type: 'init',
      config: {
        workerId: 'publisher',
        publishers: w.publishers,
        recordIntended: this.alongsideRamp,
        ...(this.hooks.clockOffsetUs ? { clockOffsetUs: this.hooks.clockOffsetUs } : {}),
        target: {
          name: w.publishers.target,
          context: {
            centrifugo: { apiUrls: this.targets.centrifugo.apiUrls, apiKey: this.targets.centrifugo.apiKey },
            streams: this.targets.publishStreams ?? channelsByStream(audience),
            options: { ...this.targets.targetOptions, channelsPerCall: w.publishers.channelsPerCall },
            runNonce: randomBytes(6).toString('hex'),
            maxConcurrency: executor.maxVUs,
            requestTimeoutMs: w.publishers.requestTimeout,
          },
        },
      },
    });

    slices.forEach((slice, i) => {
      const id = `subscribers-${i + 1}`;
      const worker: SubscriberWorker = new WorkerProcess(id, SUBSCRIBER_ENTRY);
      worker.onMessage((message) => this.onSubscriberMessage(worker, message));
      this.subscribers.push(worker);
      this.targetCount.set(id, slice.items.length);
      const share = slice.items.length / Math.max(1, audience.length);
      const connectRamp: ConnectRamp = ramp.stages
        ? {
            kind: 'stages',
            stages: ramp.stages.map((stage, j) => ({
              durationMs: stage.duration,
              target: j === ramp.stages!.length - 1 ? slice.items.length : Math.floor(stage.target * share),
            })),
          }
        : { kind: 'rate', perSecond: (ramp.connectRate ?? DEFAULT_CONNECT_RATE) * share };
      worker.send({
        type: 'init',
        config: {
          workerId: id,
          members: slice.items,
          firstIndex: slice.first,
          wsUrls: this.wsUrls,
          hmacSecret: this.targets.centrifugo.hmacSecret,
          ramp: connectRamp,
          connectTimeoutMs: ramp.connectTimeout,
          reconnect: {
            enabled: ramp.reconnect.enabled,
            minDelayMs: ramp.reconnect.minDelay,
            maxDelayMs: ramp.reconnect.maxDelay,
          },
          lostAfterMs: ramp.lostAfter,
          socketsPerSourceAddress: ramp.socketsPerSourceAddress,
          clientName: 'centrifugo-bench',
          protocol: ramp.protocol,
          readBatchWindowUs: Math.round(ramp.readBatchWindow * 1000),
          ...(reader.path ? { nativeSocketReaderPath: reader.path } : {}),
          nodeNames,
          owedFrom: this.alongsideRamp ? 'subscription' : 'start',
          ...(this.hooks.clockOffsetUs ? { clockOffsetUs: this.hooks.clockOffsetUs } : {}),
          ...(this.sampling && samples
            ? {
                samples: {
                  rate: samples.rate,
                  maxPerSecond: Math.max(
                    1,
                    Math.ceil((samples.maxPerSecond ?? DEFAULT_MAX_SAMPLES_PER_SECOND) * share),
                  ),
                  runId: samples.runId ?? '',
                  epochOffsetUs,
                  worker: i + 1,
                },
              }
            : {}),
        },
      });
    });

    // Workers load TypeScript through tsx and mint their tokens: allow for slow, busy machines.
    const readyTimeout = 60_000 + audience.length * 2;
    const all = [this.publisher, ...this.subscribers] as SubscriberWorker[];
    await Promise.all(all.map((worker) => worker.waitFor('ready', readyTimeout, this.stop.signal)));
    // A worker dying mid-run ends the run (its subscribers' deliveries would silently vanish otherwise).
    for (const worker of all) {
      worker.exited.then(({ code, signal }) => {
        if (!this.tickerStopped)
          this.abort('error', `worker ${worker.id} exited unexpectedly (code ${code}, signal ${signal})`);
      });
    }
  }

  private onSubscriberMessage(worker: SubscriberWorker, message: SubscriberToParent): void {
    if (message.type === 'snapshot') {
      this.aggregator.add(worker.id, message.metrics, message.process);
      this.processSamples.set(worker.id, message.process);
      this.connected.set(worker.id, message.connected);
      this.targetCount.set(worker.id, message.target);
      this.missing.set(worker.id, message.missing);
      if (message.samples?.length) {
        for (const row of message.samples) this.sampleRows.push(row);
        this.samplesKept += message.samples.length;
      }
      this.samplesDropped += message.samplesDropped ?? 0;
      this.replied.add(worker.id);
    } else if (message.type === 'fatal') {
      this.abort('error', `worker ${worker.id} failed: ${message.message.split('\n')[0]}`);
    }
  }

  private onPublisherMessage(message: PublisherToParent): void {
    if (message.type === 'snapshot') {
      this.aggregator.add('publisher', message.metrics, message.process);
      this.processSamples.set('publisher', message.process);
      this.replied.add('publisher');
      this.forwardProgress(message.atUs, message.streams);
    } else if (message.type === 'done') {
      this.publisherDone = { atUs: message.atUs, streams: message.streams };
    } else if (message.type === 'fatal') {
      this.abort('error', `publisher worker failed: ${message.message.split('\n')[0]}`);
    }
  }

  /** What was published (settled watermarks, failures) goes to every subscriber worker, for live loss. */
  private forwardProgress(atUs: number, streams: Record<string, StreamProgress>): void {
    if (!Object.keys(streams).length) return;
    for (const worker of this.subscribers) worker.send({ type: 'progress', atUs, streams });
  }

  // ── The second ───────────────────────────────────────────────────────────────────────────────────────

  private async tickLoop(): Promise<void> {
    while (!this.tickerStopped) {
      const due = this.t0 + (this.tickSeq + 1) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait, undefined, { signal: this.tickerSleep.signal }).catch(() => {});
      if (this.tickerStopped) return;
      await this.tickOnce();
    }
  }

  /** Asks every worker for its second, waits (bounded) for the replies, and closes the second. */
  private async tickOnce(): Promise<void> {
    const seq = ++this.tickSeq;
    this.replied.clear();
    const live = [...this.subscribers, ...(this.publisher ? [this.publisher] : [])].filter((w) => w.alive);
    for (const worker of live) (worker as SubscriberWorker).send({ type: 'tick', seq });
    const deadline = performance.now() + 900;
    while (this.replied.size < live.length && performance.now() < deadline) await sleep(5);

    const parent = this.parentMonitor.sample();
    this.aggregator.add('engine', { trends: {}, counters: {}, gauges: {}, errors: {} }, parent);
    this.processSamples.set('engine', parent);
    const t = Math.max(0, Math.round((performance.now() - this.t0) / 1000));
    const point = this.aggregator.closeSecond(t);
    this.hooks.onPoint?.(point);
    if (this.sampleRows.length) {
      const rows = this.sampleRows;
      this.sampleRows = [];
      this.hooks.onSamples?.(rows);
    }
    if (this.alongsideRamp && !this.rampCompleteNoted && sum(this.connected) >= sum(this.targetCount)) {
      this.rampCompleteNoted = true;
      this.event('note', 'ramp complete', `all ${sum(this.connected)} subscribers connected`);
    }

    const measuring = MEASURING.has(this.phase);
    for (const [process, sample] of this.processSamples) this.watch.observe(process, sample, t, measuring);
    this.processSamples.clear();

    const delivery = point.trends.delivery_latency;
    this.hooks.onProgress?.({
      phase: this.phase,
      connected: sum(this.connected),
      target: sum(this.targetCount),
      publishedPerSec: point.counters.messages_published ?? 0,
      deliveredPerSec: point.counters.messages_delivered ?? 0,
      p99Ms: delivery ? delivery.p99 : null,
    });
    if (this.hooks.checkAbort && !this.aborted && MEASURING.has(this.phase)) {
      const reason = this.hooks.checkAbort(this.aggregator.summaries(this.elapsedS()));
      if (reason) this.abort('threshold', reason);
    }
    this.completedSeq = seq;
  }

  // ── Phases ───────────────────────────────────────────────────────────────────────────────────────────

  private async connectPhase(): Promise<void> {
    const target = this.workload.subscribers.count;
    const rampMs = rampDurationMs(this.workload);
    this.enterPhase(
      'connect',
      `${target} subscribers over ~${Math.ceil(rampMs / 1000)} s` +
        (this.alongsideRamp ? ', publishing alongside (startAfter: ramp-start)' : ''),
    );
    for (const worker of this.subscribers) worker.send({ type: 'connect' });
    // A ramp under load: publishing starts now; each subscriber owes what is intended once it subscribed.
    if (target === 0 || this.alongsideRamp) return;
    const deadline = performance.now() + rampMs + this.workload.subscribers.rampGrace;
    while (!this.stop.signal.aborted) {
      if (sum(this.connected) >= target) return;
      if (performance.now() > deadline) {
        this.event(
          'note',
          'ramp incomplete',
          `${sum(this.connected)} of ${target} subscribers connected after the ramp and its grace period; ` +
            'publishing anyway (missing subscribers count as loss)',
        );
        return;
      }
      await sleep(100);
    }
  }

  private async publishPhase(): Promise<Record<string, StreamFinal>> {
    const publisher = this.publisher!;
    if (this.stop.signal.aborted) throw this.stop.signal.reason;
    if (this.hooks.startBarrier) {
      this.event('note', 'start barrier', 'waiting for every shard to connect its subscribers');
      await this.hooks.startBarrier();
      if (this.stop.signal.aborted) throw this.stop.signal.reason;
    }
    this.enterPhase('publish', `${this.workload.publishers.executor} → ${this.workload.publishers.target}`);
    // The injected slowdown is a fault of the whole publish phase: stamped once, where it begins.
    const slowdownMs = this.workload.publishers.slowdown;
    if (slowdownMs > 0) this.event('fault', 'slowdown', describeSlowdown(slowdownMs));
    this.faults = new FaultTimeline(
      this.workload.faults,
      this.hooks.faults ?? {},
      (kind, name, detail) => this.event(kind, name, detail),
      (code) => this.aggregator.errorsByCode.set(code, (this.aggregator.errorsByCode.get(code) ?? 0) + 1),
    );
    this.faults.start();
    publisher.send({ type: 'start' });
    const done = publisher.waitFor('done', 24 * 3600_000);
    done.catch(() => {}); // observed below; a worker exit is reported by its exit handler
    const stopped = new Promise<void>((resolve) => {
      if (this.stop.signal.aborted) resolve();
      else this.stop.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    const first = await Promise.race([done, stopped.then(() => undefined)]);
    if (first) return first.streams;
    // Stopped early: the publisher interrupts what is in flight and still hands over its ledger.
    publisher.send({ type: 'stop' });
    const message = await publisher.waitFor('done', 15_000);
    return message.streams;
  }

  private async drainPhase(): Promise<void> {
    const finals = this.publisherDone?.streams;
    if (finals) {
      // The final record as progress: subscribers now know exactly what they are owed.
      const streams: Record<string, StreamProgress> = {};
      for (const [id, f] of Object.entries(finals)) {
        streams[id] = {
          settled: f.published,
          failed: f.failed,
          failedRecipients: f.failedRecipients,
          ...(f.intended ? { intended: f.intended } : {}),
        };
      }
      this.forwardProgress(this.publisherDone!.atUs, streams);
    }
    if (this.stop.signal.aborted) return;
    const drainMs = this.workload.drain;
    this.enterPhase('drain', `up to ${drainMs / 1000} s`);
    const started = performance.now();
    // Ticks sent from now on reach each worker after the final progress (IPC keeps order).
    const firstFreshSeq = this.tickSeq + 1;
    while (!this.stop.signal.aborted && performance.now() - started < drainMs) {
      // Caught up: every worker reported nothing missing in a tick sent after the final progress.
      const fresh = this.completedSeq >= firstFreshSeq;
      if (fresh && sum(this.missing) === 0 && this.missing.size === this.subscribers.length) {
        this.event(
          'note',
          'drained',
          `every owed message arrived ${((performance.now() - started) / 1000).toFixed(1)} s into the drain`,
        );
        return;
      }
      await sleep(100);
    }
  }

  private async account(finals: Record<string, StreamFinal>): Promise<SubscriberAccounting> {
    const total = emptyAccounting();
    const atUs = monoUs();
    const results = await Promise.all(
      this.subscribers.map((worker) => {
        worker.send({ type: 'account', atUs, streams: finals });
        return worker.waitFor('accounted', 60_000);
      }),
    );
    for (const { result } of results) {
      for (const key of Object.keys(total) as Array<keyof SubscriberAccounting>) total[key] += result[key];
    }
    return total;
  }

  private noteSamples(): void {
    const rate = this.hooks.samples?.rate ?? 0;
    const dropped = this.samplesDropped
      ? `; ${this.samplesDropped} more were sampled but over the per-second bound (dropped)`
      : '';
    this.event('note', 'samples', `${this.samplesKept} delivery rows (sample rate ${rate})${dropped}`);
  }

  private async shutdown(): Promise<void> {
    this.tickerStopped = true;
    this.tickerSleep.abort();
    await this.ticker?.catch(() => {});
    await this.faults?.stop();
    const closing: Promise<void>[] = this.subscribers.map((w) => w.close({ type: 'close' }));
    if (this.publisher) closing.push(this.publisher.close({ type: 'close' }));
    await Promise.allSettled(closing);
    this.parentMonitor.stop();
    if (this.onAbortSignal) this.hooks.signal?.removeEventListener('abort', this.onAbortSignal);
    this.enterPhase('done');
  }

  // ── Result ───────────────────────────────────────────────────────────────────────────────────────────

  private result(
    accounting: SubscriberAccounting | undefined,
    finals: Record<string, StreamFinal> | undefined,
  ): EngineResult {
    const endedAt = new Date();
    const durationS = Math.round((endedAt.getTime() - this.startedAt.getTime()) / 100) / 10;
    const a = this.aggregator;
    if (accounting) {
      // Exact figures replace the live ones (which could only approximate loss during the run).
      a.setTotal('messages_expected', accounting.expected);
      a.setTotal('messages_delivered', accounting.delivered);
      a.setTotal('messages_lost', accounting.expected - accounting.delivered);
      if (accounting.unaccepted) a.errorsByCode.set('delivered_unaccepted', accounting.unaccepted);
      // Not deliveries and not losses: intended before the subscriber joined (startAfter 'ramp-start').
      if (accounting.beforeSubscription) {
        a.errorsByCode.set('delivered_before_subscription', accounting.beforeSubscription);
      }
      if (accounting.neverSubscribed) a.errorsByCode.set('subscriber_never_subscribed', accounting.neverSubscribed);
    }
    if (finals) {
      let published = 0;
      for (const f of Object.values(this.publishedByThisProcess ?? finals)) published += f.published - f.failed.length;
      a.setTotal('messages_published', published);
    }
    if (this.samplesDropped) a.errorsByCode.set('samples_dropped', this.samplesDropped);
    const metrics: Record<string, MetricSummary> = a.summaries(durationS);
    const invalidReasons = this.watch.finish();
    if (!accounting && !this.aborted) invalidReasons.push('no final accounting: the run did not complete');
    return {
      metrics,
      errorsByCode: Object.fromEntries([...a.errorsByCode].sort(([x], [y]) => x.localeCompare(y))),
      generator: {
        workers: this.subscribers.length + (this.publisher ? 1 : 0),
        cpuSeconds: Math.round(a.generator.cpuSeconds * 100) / 100,
        peakRssBytes: a.generator.peakRssBytes,
        maxEventLoopDelayP99Ms: a.generator.maxEventLoopDelayP99Ms,
      },
      valid: invalidReasons.length === 0,
      invalidReasons,
      accounted: accounting !== undefined,
      aborted: this.aborted,
      timeline: this.timeline,
      startedAt: this.startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      durationS,
      histograms: a.histograms(),
    };
  }
}

function sum(map: Map<string, number>): number {
  let total = 0;
  for (const value of map.values()) total += value;
  return total;
}

function reasonOf(reason: unknown): string | undefined {
  if (reason instanceof Error) return reason.message;
  if (typeof reason === 'string') return reason;
  return undefined;
}
