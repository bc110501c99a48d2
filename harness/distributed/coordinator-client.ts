import { request } from 'undici';
import { UserError } from '../common/errors.ts';
import { monoUs } from '../common/mono-clock.ts';
import { type ClockOffset, estimateClockOffset, type LocalClock } from './clock-sync.ts';
import type { RunIdentity } from './coordinator.ts';
import { packShardFiles } from './shard-files.ts';

/**
 * A shard's side of the coordinator protocol. Every call has a timeout; an unreachable coordinator or a refused
 * registration (hash / version mismatch) is one UserError line (exit 2); an aborted run is one too.
 */
export class CoordinatorClient {
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly identity: RunIdentity & { shardIndex: number },
    private readonly requestTimeoutMs = 5_000,
  ) {}

  register(): Promise<void> {
    return this.call('POST', '/register', this.identity).then(() => undefined);
  }

  /**
   * This shard's clock offset to the coordinator's time base (run it before and after the run). `localClock`:
   * this shard's run clock (CLOCK_MONOTONIC, µs), injectable so a test can skew it by a known amount;
   * `targetUncertaintyUs`: keep measuring (within estimateClockOffset's cap) until the estimate is this tight.
   */
  clockOffset(localClock: LocalClock = monoUs, targetUncertaintyUs?: number): Promise<ClockOffset> {
    return estimateClockOffset(async () => ((await this.call('GET', '/time')) as { nowUs: number }).nowUs, {
      localClock,
      targetUncertaintyUs,
    });
  }

  /**
   * Reports this shard's subscribers connected, then waits for the start instant (coordinator µs).
   * Rejects when the run aborts (registration timeout, a dead shard) or `timeoutMs` passes.
   */
  async startBarrier(timeoutMs: number): Promise<number> {
    await this.call('POST', '/ready', { shardIndex: this.identity.shardIndex });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const waitMs = Math.max(1, Math.min(5_000, deadline - Date.now()));
      const answer = (await this.call('GET', `/start?waitMs=${waitMs}`, undefined, waitMs + this.requestTimeoutMs)) as {
        startAtUs?: number;
        abortReason?: string;
      };
      if (answer.abortReason !== undefined) throw new UserError(`distributed run aborted: ${answer.abortReason}`);
      if (answer.startAtUs !== undefined) return answer.startAtUs;
    }
    throw new UserError(`start barrier: no start from the coordinator at ${this.url} within ${timeoutMs} ms`);
  }

  /**
   * Hands this shard's published streams (stream id → final record) to the coordinator and waits for every
   * shard's: stream ids are unique per shard, so the union is what each subscriber may be owed.
   */
  async exchangePublished<T>(streams: Record<string, T>, timeoutMs: number): Promise<Record<string, T>> {
    await this.call('POST', '/published', { shardIndex: this.identity.shardIndex, streams });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const waitMs = Math.max(1, Math.min(5_000, deadline - Date.now()));
      const answer = (await this.call(
        'GET',
        `/published?waitMs=${waitMs}`,
        undefined,
        waitMs + this.requestTimeoutMs,
      )) as {
        streams?: Record<string, T>;
        abortReason?: string;
      };
      if (answer.abortReason !== undefined) throw new UserError(`distributed run aborted: ${answer.abortReason}`);
      if (answer.streams !== undefined) return answer.streams;
    }
    throw new UserError(`the other shards did not finish publishing within ${timeoutMs} ms`);
  }

  /**
   * Sends this shard's run folder (the files under `dir` named by `relativePaths`; absent ones are skipped) to the
   * coordinator, which stores it as `<its results>/<run-id>/shards/<i>/`. Resolves with the files it stored.
   */
  async uploadResults(dir: string, relativePaths: readonly string[], timeoutMs = 120_000): Promise<number> {
    const upload = await packShardFiles(dir, relativePaths, {
      runId: this.identity.runId,
      shardIndex: this.identity.shardIndex,
    });
    const answer = (await this.call('POST', '/results', upload, timeoutMs)) as { files?: number };
    return answer.files ?? 0;
  }

  /** Heartbeats every `everyMs`; `onStop` is called once with the reason when the coordinator says stop. */
  startHeartbeats(everyMs: number, onStop: (reason: string) => void): void {
    this.heartbeatTimer = setInterval(() => {
      this.heartbeat(false).then(
        (stop) => {
          if (stop !== undefined) {
            this.stopHeartbeats();
            onStop(stop);
          }
        },
        (error: unknown) => {
          this.stopHeartbeats();
          onStop(error instanceof Error ? error.message : String(error));
        },
      );
    }, everyMs);
  }

  stopHeartbeats(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** Tells the coordinator this shard finished; returns the abort reason if the run was aborted meanwhile. */
  async done(): Promise<string | undefined> {
    this.stopHeartbeats();
    return this.heartbeat(true);
  }

  private async heartbeat(done: boolean): Promise<string | undefined> {
    const answer = (await this.call('POST', '/heartbeat', { shardIndex: this.identity.shardIndex, done })) as {
      stop?: string;
    };
    return answer.stop;
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = this.requestTimeoutMs) {
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(`${this.url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new UserError(`coordinator at ${this.url} is unreachable (${path}): ${reason}`, { cause: error });
    }
    const answer = (await response.body.json()) as { error?: string };
    if (response.statusCode === 413) {
      throw new UserError(`coordinator refused shard ${this.identity.shardIndex}'s ${path}: over its body size limit`);
    }
    if (response.statusCode >= 400) {
      throw new UserError(
        `coordinator refused shard ${this.identity.shardIndex}: ${answer.error ?? response.statusCode}`,
      );
    }
    return answer;
  }
}
