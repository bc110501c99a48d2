/**
 * Publisher worker process: creates the target, runs the executor when told, reports each second, and
 * hands over every stream's final record when done. Publishing runs here, not in the engine's process,
 * so the parent stays light and its own clock readings stay honest.
 *
 * One iteration = one message (the Publisher below): pick the stream (round-robin over the target's
 * streams), take its next sequence number, stamp the marker with the INTENDED send time, send, record.
 * Latency downstream is measured from that intended time, so a late publisher (or a slow API holding VUs)
 * shows up as latency instead of hiding it (coordinated omission, reference/load-testing.md §3).
 *
 * A process entry: importing this file starts the worker (engine.ts forks it by URL).
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMetricName, METRICS } from '../../common/metrics-catalogue.ts';
import { monoUs } from '../../common/mono-clock.ts';
import { PublishLedger } from '../accounting/publish-ledger.ts';
import { type ExecutorConfig, runExecutor } from '../executors/index.ts';
import type { ParentToPublisher, PublisherToParent, PublisherWorkerConfig } from '../ipc.ts';
import { ProcessMonitor } from '../metrics/process-monitor.ts';
import { MetricsRecorder } from '../metrics/recorder.ts';
import {
  type OutgoingMessage,
  type PublishTarget,
  type SendOutcome,
  unpaddedDataBytes,
} from '../targets/publish-target.ts';
import { loadTarget } from '../targets/registry.ts';
import { installFatalHandlers, onParentMessage, sendToParent } from '../worker-runtime.ts';
import { holdUntil } from './slowdown.ts';

installFatalHandlers();
const send = (message: PublisherToParent) => sendToParent(message);
const recorder = new MetricsRecorder();
const monitor = new ProcessMonitor();
const stop = new AbortController();
setMaxListeners(0, stop.signal); // each VU's sleep listens on it
let config: PublisherWorkerConfig | undefined;
let target: PublishTarget | undefined;
let publisher: Publisher | undefined;

onParentMessage<ParentToPublisher>(async (message) => {
  switch (message.type) {
    case 'init': {
      config = message.config;
      const create = await loadTarget(config.target.name);
      target = await create(config.target.context);
      // Before 'ready', so the HTTP client's one-off compile is start-up work, not the first message's.
      await target.warmUp?.();
      publisher = new Publisher(
        target,
        Object.keys(config.target.context.streams),
        config.publishers.payloadBytes,
        recorder,
        {
          recordIntended: config.recordIntended,
          slowdownMs: config.publishers.slowdown,
          clockOffsetUs: config.clockOffsetUs,
        },
      );
      send({ type: 'ready' });
      return;
    }
    case 'start': {
      if (!config || !publisher) throw new Error('start before init');
      const executor = config.publishers as ExecutorConfig;
      if (executor.startTime > 0) await sleep(executor.startTime, undefined, { signal: stop.signal }).catch(() => {});
      await publisher.run(executor, stop.signal);
      send({ type: 'done', atUs: monoUs(), streams: publisher.ledger.final() });
      return;
    }
    case 'tick':
      send({
        type: 'snapshot',
        seq: message.seq,
        metrics: recorder.snapshot(),
        process: monitor.sample(),
        atUs: monoUs(),
        streams: publisher?.ledger.progress() ?? {},
        inFlight: publisher?.ledger.inFlight() ?? 0,
      });
      return;
    case 'stop':
      stop.abort();
      return;
    case 'close':
      stop.abort();
      await target?.close().catch(() => {});
      process.exit(0);
  }
});

// ── One iteration, one message ───────────────────────────────────────────────────────────────────────

class Publisher {
  readonly ledger: PublishLedger;
  private readonly streams: string[];
  private next = 0;
  private readonly padding: string;
  /** Aborts sends still running when the executor is done (gracefulStop over) or the run stops. */
  private readonly sends = new AbortController();
  private finished = false;
  /** The injected slowdown (workload.publishers.slowdown), µs; 0 = off. */
  private readonly slowdownUs: number;
  /** A shard of a distributed run: the marker's intended time is in the coordinator's time base. */
  private readonly clockOffsetUs: number;

  constructor(
    private readonly target: PublishTarget,
    streams: string[],
    private readonly payloadBytes: number,
    private readonly recorder: MetricsRecorder,
    options: { recordIntended?: boolean; slowdownMs?: number; clockOffsetUs?: number } = {},
  ) {
    this.ledger = new PublishLedger(options);
    this.slowdownUs = (options.slowdownMs ?? 0) * 1000;
    this.clockOffsetUs = options.clockOffsetUs ?? 0;
    if (!streams.length) throw new Error('the target has no streams to publish to (empty audience?)');
    this.streams = streams;
    this.padding = 'x'.repeat(payloadBytes);
    // Every in-flight send listens on this one signal: as many listeners as VUs is expected, not a leak.
    setMaxListeners(0, this.sends.signal);
  }

  /** Runs the executor to its end (or until `signal` aborts); in-flight sends are then interrupted. */
  async run(executor: ExecutorConfig, signal: AbortSignal): Promise<void> {
    await runExecutor(executor, {
      iterate: (intendedUs) => this.iterate(intendedUs),
      dropped: () => this.recorder.count('dropped_iterations'),
      signal,
    });
    this.finished = true;
    this.sends.abort(new Error('interrupted'));
  }

  async iterate(intendedUs: number): Promise<void> {
    const stream = this.streams[this.next++ % this.streams.length]!;
    const t = Math.round(intendedUs + this.clockOffsetUs);
    const q = this.ledger.nextSeq(stream, t);
    const message: OutgoingMessage = { marker: { s: stream, q, t }, padding: '' };
    message.padding = this.padding.slice(0, Math.max(0, this.payloadBytes - unpaddedDataBytes(message.marker)));
    // The injected slowdown: held this long from when it would have been sent (not from the intended time,
    // which would absorb the publisher's own lateness, ~1 ms of timer, and add less than the slowdown).
    // Latency counts from the marker's intended time, so it grows by exactly this much. The hold occupies
    // the VU, as a slower publish path would.
    if (this.slowdownUs > 0) await holdUntil(monoUs() + this.slowdownUs, this.sends.signal);
    const sentUs = monoUs();
    this.recorder.recordUs('publish_delay', sentUs - intendedUs);
    let outcome: SendOutcome;
    try {
      outcome = await this.target.send(message, this.sends.signal);
    } catch (error) {
      outcome = { ok: false, code: this.sends.signal.aborted ? 'interrupted' : errorCode(error) };
    }
    // After the end, the ledger's final record already counts this message as interrupted.
    if (this.finished) return;
    this.recorder.recordUs('publish_duration', monoUs() - sentUs);
    if (outcome.ok) {
      this.ledger.accepted(stream, q, outcome.failedRecipients);
      this.recorder.count('messages_published');
      if (outcome.timings) {
        for (const [name, ms] of Object.entries(outcome.timings)) {
          if (isMetricName(name) && METRICS[name].kind === 'trend') this.recorder.recordUs(name, ms * 1000);
        }
      }
    } else {
      this.ledger.failed(stream, q);
      this.recorder.count('publish_errors');
      this.recorder.error(outcome.code);
    }
    for (const code of outcome.errors ?? []) {
      this.recorder.error(code);
      if (!code.startsWith('api_failover_')) this.recorder.count('publish_errors');
    }
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: string }).code;
  return code ? `target_${code}` : 'target_exception';
}
