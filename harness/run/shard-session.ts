/**
 * A shard's part in a distributed run, around the ordinary pipeline: register with the coordinator (same run
 * id, shard count, scenario hash and harness version, else exit 2 naming both), estimate the clock offset to
 * the coordinator before and after the run, heartbeat while it runs (the coordinator's "stop" — another shard
 * died — stops this one cleanly), wait at the start barrier, and exchange what every shard published before the
 * drain. What it learnt goes to `shard.json` in the shard's folder, for `results merge`.
 */
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import { monoUs } from '../common/mono-clock.ts';
import {
  type ClockOffset,
  CoordinatorClient,
  clockInvalidReason,
  estimateClockOffset,
  offsetThrough,
  type Shard,
} from '../distributed/index.ts';
import { harnessVersion, RUN_FILES } from '../results/files/index.ts';
import type { RunHooks } from './drivers.ts';
import { type RunPlan, scenarioHash } from './plan.ts';

export interface DistributedOptions {
  coordinatorUrl: string;
  runId: string;
  /** Longest wait at the start barrier and for the other shards' publications (default 10 minutes). */
  waitTimeoutMs?: number;
}

/** `shard.json`: what `results merge` needs besides the shard's ordinary run files. */
export interface ShardRecord {
  runId: string;
  shard: Shard;
  scenarioHash: string;
  harnessVersion: string;
  coordinator: string;
  /**
   * Add to this shard's run clock (CLOCK_MONOTONIC µs, plus the test-only skew) to get the coordinator's; ±
   * uncertainty. `epochMinusMonoUs`: this host's wall clock minus its run clock, to place the shard's seconds.
   */
  clock: {
    before: ClockOffset;
    after: ClockOffset | null;
    maxUncertaintyUs: number;
    epochMinusMonoUs: number;
    testSkewUs: number;
    /**
     * A push flood with a sink: the sink's clock offset to the coordinator, as this shard estimated it (its offset
     * to the coordinator minus its offset to the sink; uncertainty: both added) before the flood and after its
     * drain. This shard's `bench_t` stamps take it out (engine/push/flood-shard.ts); it counts into the bound.
     */
    sink?: { before: ClockOffset; after: ClockOffset | null };
  };
  /** The start instant, coordinator µs since the epoch (null: the run never got there). */
  startAtUs: number | null;
  /** Why this shard's numbers are invalid for the merged run (clock, abort), empty when they are fine. */
  invalidReasons: string[];
}

export const SHARD_RECORD_FILE = 'shard.json';

/** What a shard's session adds to the driver's hooks. */
export type ShardHooks = Pick<RunHooks, 'startBarrier' | 'exchangePublished' | 'clockOffsetUs' | 'sinkClockOffset'>;

/** The scenario's clock bound in µs (distributed.maxClockUncertaintyMs, default 5 ms): every shard runs the same scenario. */
function clockBoundUs(plan: RunPlan): number {
  return Math.round(plan.scenario.distributed.maxClockUncertaintyMs * 1000);
}

/**
 * How tight each clock estimate should get before the shard stops measuring: half the bound, because the push
 * sink's offset adds two estimates' uncertainties.
 */
function clockTargetUs(plan: RunPlan): number {
  return clockBoundUs(plan) / 2;
}

/**
 * Test-only: CENTRIFUGO_BENCH_TEST_CLOCK_SKEW_MS shifts this shard's whole clock by a known amount (what a
 * machine with a wrong clock looks like), so a test can show the offset estimate takes it out again.
 */
function testClockSkewUs(): number {
  const text = process.env.CENTRIFUGO_BENCH_TEST_CLOCK_SKEW_MS;
  if (text === undefined || text === '') return 0;
  const ms = Number(text);
  if (!Number.isFinite(ms)) throw new UserError(`CENTRIFUGO_BENCH_TEST_CLOCK_SKEW_MS='${text}' is not a number`);
  return Math.round(ms * 1000);
}

export class ShardSession {
  private readonly stopController = new AbortController();
  private startAtUs: number | null = null;
  private sinkClock: { before: ClockOffset; after: ClockOffset | null } | undefined;

  private constructor(
    private readonly client: CoordinatorClient,
    private readonly options: DistributedOptions,
    private readonly plan: RunPlan,
    private readonly hash: string,
    private readonly before: ClockOffset,
    private readonly localClock: () => number,
    private readonly skewUs: number,
  ) {}

  /** Registers and measures the clock; a refusal or an unreachable coordinator is one UserError line (exit 2). */
  static async join(plan: RunPlan, options: DistributedOptions): Promise<ShardSession> {
    const hash = scenarioHash(plan);
    const client = new CoordinatorClient(options.coordinatorUrl, {
      runId: options.runId,
      shardCount: plan.shard.count,
      scenarioHash: hash,
      harnessVersion: harnessVersion(),
      shardIndex: plan.shard.index,
    });
    await client.register();
    const skewUs = testClockSkewUs();
    const localClock = () => monoUs() + skewUs;
    const before = await client.clockOffset(localClock, clockTargetUs(plan));
    log.info(
      'shard',
      `shard ${plan.shard.index}/${plan.shard.count} of run ${options.runId}: clock offset ` +
        `${(before.offsetUs / 1000).toFixed(3)} ms ± ${(before.uncertaintyUs / 1000).toFixed(3)} ms to ${options.coordinatorUrl}`,
    );
    const session = new ShardSession(client, options, plan, hash, before, localClock, skewUs);
    client.startHeartbeats(1000, (reason) => {
      log.error('shard', `stopping: ${reason}`);
      session.stopController.abort(new Error(reason));
    });
    return session;
  }

  /** Aborted when the coordinator says stop (another shard died, registration timed out) or cannot be reached. */
  get stopSignal(): AbortSignal {
    return this.stopController.signal;
  }

  /**
   * The engine hooks of a shard: the start barrier, the exchange of published streams, and the offset the
   * engine's workers add to CLOCK_MONOTONIC so intended send times and receive times are in the coordinator's
   * time base (the test-only skew is part of this shard's clock, so it is added too — and cancelled by the estimate).
   */
  engineHooks(): ShardHooks {
    const timeoutMs = this.options.waitTimeoutMs ?? 600_000;
    return {
      sinkClockOffset: (readSinkClock, when) => this.measureSinkClock(readSinkClock, when),
      clockOffsetUs: Math.round(this.skewUs + this.before.offsetUs),
      startBarrier: async () => {
        const startAtUs = await this.stoppingOnFailure(this.client.startBarrier(timeoutMs));
        this.startAtUs = startAtUs;
        // The instant is in the coordinator's time base: on this clock it is startAt − offset.
        const waitMs = (startAtUs - this.before.offsetUs - this.localClock()) / 1000;
        if (waitMs > 0) await sleep(waitMs, undefined, { signal: this.stopSignal }).catch(() => {});
      },
      exchangePublished: (own) => this.stoppingOnFailure(this.client.exchangePublished(own, timeoutMs)),
    };
  }

  /**
   * The push sink's offset to the coordinator through this shard: both estimated on this shard's run clock (with
   * its test-only skew), so the shard's own offset enters the flood's stamps twice and cancels (flood-shard.ts).
   */
  private async measureSinkClock(readSinkClock: () => Promise<number>, when: 'before' | 'after'): Promise<number> {
    const toSink = await estimateClockOffset(readSinkClock, {
      localClock: this.localClock,
      targetUncertaintyUs: clockTargetUs(this.plan),
    });
    const sink = offsetThrough(this.before, toSink);
    if (when === 'before') this.sinkClock = { before: sink, after: null };
    else if (this.sinkClock) this.sinkClock.after = sink;
    log.info(
      'shard',
      `push sink clock ${when} the flood: offset ${(sink.offsetUs / 1000).toFixed(3)} ms ± ` +
        `${(sink.uncertaintyUs / 1000).toFixed(3)} ms to the coordinator (through shard ${this.plan.shard.index})`,
    );
    return sink.offsetUs;
  }

  /** A wait on the other shards that fails (the run aborted, a timeout) stops this shard as the run's decision. */
  private async stoppingOnFailure<T>(waiting: Promise<T>): Promise<T> {
    try {
      return await waiting;
    } catch (error) {
      this.stopController.abort(error);
      throw error;
    }
  }

  /** After the run: the clock again, and this shard's invalid reasons (heartbeats go on until `markDone`). */
  async measureAfter(): Promise<{ invalidReasons: string[]; record: Omit<ShardRecord, 'invalidReasons'> }> {
    const invalidReasons: string[] = [];
    let after: ClockOffset | null = null;
    const maxUncertaintyUs = clockBoundUs(this.plan);
    try {
      after = await this.client.clockOffset(this.localClock, clockTargetUs(this.plan));
      const clockReason = clockInvalidReason(this.plan.shard.index, this.before, after, maxUncertaintyUs);
      if (clockReason) invalidReasons.push(clockReason);
    } catch (error) {
      invalidReasons.push(
        `shard ${this.plan.shard.index}: the coordinator could not be reached after the run (${(error as Error).message})`,
      );
    }
    const sink = this.sinkClock;
    if (sink) {
      const subject = `shard ${this.plan.shard.index}'s push sink`;
      // Not measured after (the sink went away mid-run): the before estimate alone, its drift unknown.
      const sinkReason = clockInvalidReason(subject, sink.before, sink.after ?? sink.before, maxUncertaintyUs);
      if (sinkReason) invalidReasons.push(sinkReason);
    }
    return {
      invalidReasons,
      record: {
        runId: this.options.runId,
        shard: this.plan.shard,
        scenarioHash: this.hash,
        harnessVersion: harnessVersion(),
        coordinator: this.options.coordinatorUrl,
        clock: {
          before: this.before,
          after,
          maxUncertaintyUs,
          epochMinusMonoUs: Math.round((performance.timeOrigin + performance.now()) * 1000 - monoUs()),
          testSkewUs: this.skewUs,
          ...(sink ? { sink } : {}),
        },
        startAtUs: this.startAtUs,
      },
    };
  }

  /**
   * Once the shard's files are written: sends the ones the merge reads to the coordinator, which keeps them in
   * its results directory (a pod's own disk is gone with the pod). A failed upload is logged, not fatal here:
   * the coordinator then finds this shard's folder missing and the merged run is invalid, naming it.
   */
  async uploadResults(dir: string): Promise<void> {
    const histograms = await readdir(path.join(dir, RUN_FILES.histograms)).catch(() => [] as string[]);
    const files = [
      RUN_FILES.runInfo,
      RUN_FILES.timeseries,
      RUN_FILES.timeline,
      ...histograms.filter((name) => name.endsWith('.hdr')).map((name) => `${RUN_FILES.histograms}/${name}`),
      RUN_FILES.summary,
      SHARD_RECORD_FILE,
    ];
    try {
      const stored = await this.client.uploadResults(dir, files);
      log.info('shard', `results sent to the coordinator (${stored} files)`);
    } catch (error) {
      log.error('shard', `could not send this shard's results to the coordinator: ${(error as Error).message}`);
    }
  }

  /** Once the shard's files are written (and sent): the coordinator may merge when every shard is done. */
  async markDone(): Promise<void> {
    try {
      await this.client.done();
    } catch (error) {
      log.warn('shard', `could not tell the coordinator this shard is done: ${(error as Error).message}`);
    }
  }

  close(): void {
    this.client.stopHeartbeats();
  }
}

export async function writeShardRecord(dir: string, record: ShardRecord): Promise<void> {
  await writeFile(path.join(dir, SHARD_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}
