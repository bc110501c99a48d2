import Fastify, { type FastifyInstance } from 'fastify';
import { log } from '../common/log.ts';
import { monoUs } from '../common/mono-clock.ts';
import { type ShardFilesUpload, storeShardFiles } from './shard-files.ts';

/**
 * The coordinator of a sharded run: shards register (run id, shard i/n, scenario hash, harness version), report
 * when their subscribers are connected, and long-poll for the start instant — one instant, in the coordinator's
 * time base, announced to all once every shard is ready. Heartbeats detect a shard that died mid-run: the
 * merged run is then invalid, naming the shard, and every other shard is told to stop at its next heartbeat.
 * Every wait has a timeout; `close()` ends everything it started.
 */

export interface RunIdentity {
  readonly runId: string;
  readonly shardCount: number;
  readonly scenarioHash: string;
  readonly harnessVersion: string;
}

export interface CoordinatorOptions extends RunIdentity {
  /** Every shard must register and report ready within this time, else the run aborts for everyone. */
  readonly registrationTimeoutMs?: number;
  /** A registered shard silent for longer than this is dead. */
  readonly heartbeatTimeoutMs?: number;
  /** Start this long after the last shard is ready, so the announcement reaches everyone before it. */
  readonly startLeadMs?: number;
  readonly port?: number;
  /** 127.0.0.1 by default; `0.0.0.0` only inside a pod, where the Service is the way in. */
  readonly host?: string;
  /**
   * Where uploaded shard folders go (`<resultsDir>/<run-id>/shards/<i>/`); without it, uploads are refused.
   * `maxUploadBytes`: the largest upload body (default 256 MiB; a file unpacks to at most 8× that).
   */
  readonly resultsDir?: string;
  readonly maxUploadBytes?: number;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 256 * 1024 * 1024;

export interface Coordinator {
  readonly url: string;
  /** Settles when the run ends: every shard done, or aborted with the reason. */
  readonly outcome: Promise<{ ok: true } | { ok: false; reason: string }>;
  /**
   * After an abort: resolves once every shard still alive has reported done (it stopped and wrote its files),
   * or after `timeoutMs`; returns the shards that died (silent past the heartbeat timeout).
   */
  survivorsDone(timeoutMs: number): Promise<{ dead: number[]; unfinished: number[] }>;
  close(): Promise<void>;
}

/**
 * The coordinator's clock — the run's time base: CLOCK_MONOTONIC of the coordinator's host, µs (the clock the
 * engine stamps intended and receive times with). Shards on the same host then have an offset of ~0 and change
 * nothing; shards elsewhere add their estimated offset.
 */
export const coordinatorNowUs = (): number => monoUs();

interface ShardState {
  ready: boolean;
  done: boolean;
  lastHeartbeatMs: number;
}

export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const registrationTimeoutMs = options.registrationTimeoutMs ?? 120_000;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 10_000;
  const startLeadMs = options.startLeadMs ?? 500;
  const shards = new Map<number, ShardState>();
  let startAtUs: number | undefined;
  let abortReason: string | undefined;
  const startWaiters = new Set<() => void>();
  // What each shard published (stream id → its final record), exchanged once every shard has published, so a
  // subscriber on one shard knows what it is owed by streams another shard published.
  const published = new Map<number, Record<string, unknown>>();
  const publishedWaiters = new Set<() => void>();
  let settle: (value: { ok: true } | { ok: false; reason: string }) => void = () => {};
  const outcome = new Promise<{ ok: true } | { ok: false; reason: string }>((resolve) => {
    settle = resolve;
  });

  const wakeWaiters = () => {
    for (const wake of startWaiters) wake();
    startWaiters.clear();
  };
  const wakePublishedWaiters = () => {
    for (const wake of publishedWaiters) wake();
    publishedWaiters.clear();
  };
  const abort = (reason: string) => {
    if (abortReason !== undefined) return;
    abortReason = reason;
    settle({ ok: false, reason });
    wakeWaiters();
    wakePublishedWaiters();
  };
  const dead = new Set<number>();
  const missing = (predicate: (state: ShardState | undefined) => boolean) =>
    Array.from({ length: options.shardCount }, (_, index) => index).filter((index) => predicate(shards.get(index)));

  const registrationTimer = setTimeout(() => {
    if (startAtUs !== undefined) return;
    const absent = missing((state) => !state?.ready);
    abort(`registration timeout after ${registrationTimeoutMs} ms: shard(s) ${absent.join(', ')} never became ready`);
  }, registrationTimeoutMs);
  const heartbeatTimer = setInterval(
    () => {
      const now = Date.now();
      for (const [index, state] of shards) {
        if (!state.done && now - state.lastHeartbeatMs > heartbeatTimeoutMs) {
          dead.add(index);
          abort(`shard ${index} stopped sending heartbeats (${heartbeatTimeoutMs} ms): the merged run is invalid`);
        }
      }
    },
    Math.max(50, heartbeatTimeoutMs / 4),
  );

  // Published-stream records scale with streams (one per channel for some targets): allow big bodies.
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 256 * 1024 * 1024 });
  const known = (index: unknown): index is number => typeof index === 'number' && shards.has(index);

  app.get('/time', async () => ({ nowUs: coordinatorNowUs() }));

  app.post('/register', async (request, reply) => {
    const body = request.body as Partial<RunIdentity> & { shardIndex?: number };
    const mismatch = identityMismatch(options, body);
    if (mismatch) return reply.code(409).send({ error: mismatch });
    const index = body.shardIndex;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= options.shardCount) {
      return reply.code(409).send({ error: `shard index ${index} is out of range 0..${options.shardCount - 1}` });
    }
    if (shards.has(index)) return reply.code(409).send({ error: `shard ${index} is already registered` });
    if (abortReason !== undefined) return reply.code(409).send({ error: `run aborted: ${abortReason}` });
    shards.set(index, { ready: false, done: false, lastHeartbeatMs: Date.now() });
    return { ok: true };
  });

  app.post('/ready', async (request, reply) => {
    const { shardIndex } = request.body as { shardIndex?: number };
    const state = known(shardIndex) ? shards.get(shardIndex) : undefined;
    if (!state) return reply.code(409).send({ error: `shard ${shardIndex} is not registered` });
    state.ready = true;
    state.lastHeartbeatMs = Date.now();
    if (startAtUs === undefined && missing((entry) => !entry?.ready).length === 0) {
      startAtUs = coordinatorNowUs() + startLeadMs * 1000;
      clearTimeout(registrationTimer);
      wakeWaiters();
    }
    return { ok: true };
  });

  /** Long poll: answers when the start instant is known or the run aborted, else after `waitMs` (retry). */
  app.get('/start', async (request) => {
    const waitMs = Math.min(Number((request.query as { waitMs?: string }).waitMs ?? 5000) || 5000, 30_000);
    if (startAtUs === undefined && abortReason === undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        startWaiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return { startAtUs, abortReason };
  });

  app.post('/published', async (request, reply) => {
    const { shardIndex, streams } = request.body as { shardIndex?: number; streams?: Record<string, unknown> };
    const state = known(shardIndex) ? shards.get(shardIndex) : undefined;
    if (!state || streams === undefined)
      return reply.code(409).send({ error: `shard ${shardIndex} is not registered` });
    state.lastHeartbeatMs = Date.now();
    published.set(shardIndex as number, streams);
    if (published.size === options.shardCount) wakePublishedWaiters();
    return { ok: true };
  });

  /** Long poll: every shard's published streams once all have published, or the abort reason. */
  app.get('/published', async (request) => {
    const waitMs = Math.min(Number((request.query as { waitMs?: string }).waitMs ?? 5000) || 5000, 30_000);
    if (published.size < options.shardCount && abortReason === undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        publishedWaiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (abortReason !== undefined) return { abortReason };
    if (published.size < options.shardCount) return {};
    return { streams: Object.assign({}, ...[...published.values()]) };
  });

  /** A shard's run folder (shard-files.ts), sent once its files are written and before it reports done. */
  app.post('/results', { bodyLimit: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES }, async (request, reply) => {
    const upload = request.body as Partial<ShardFilesUpload>;
    const state = known(upload.shardIndex) ? shards.get(upload.shardIndex) : undefined;
    if (!state) return reply.code(409).send({ error: `shard ${upload.shardIndex} is not registered` });
    if (upload.runId !== options.runId) {
      return reply.code(409).send({ error: `run id mismatch: coordinator ${options.runId}, upload ${upload.runId}` });
    }
    if (!options.resultsDir) return reply.code(409).send({ error: 'this coordinator stores no results' });
    if (!Array.isArray(upload.files)) return reply.code(400).send({ error: 'an upload needs its files' });
    state.lastHeartbeatMs = Date.now();
    try {
      const stored = await storeShardFiles(
        options.resultsDir,
        upload as ShardFilesUpload,
        8 * (options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES),
      );
      state.lastHeartbeatMs = Date.now();
      log.info(
        'coordinate',
        `shard ${upload.shardIndex}: ${stored.files} result files received` +
          (stored.written
            ? `, ${stored.written} stored (${(stored.bytes / 1024).toFixed(0)} KiB)`
            : ', all already here'),
      );
      return { ok: true, ...stored };
    } catch (error) {
      return reply.code(400).send({ error: `shard ${upload.shardIndex}'s upload: ${(error as Error).message}` });
    }
  });

  app.post('/heartbeat', async (request, reply) => {
    const { shardIndex, done } = request.body as { shardIndex?: number; done?: boolean };
    const state = known(shardIndex) ? shards.get(shardIndex) : undefined;
    if (!state) return reply.code(409).send({ error: `shard ${shardIndex} is not registered` });
    state.lastHeartbeatMs = Date.now();
    if (done) state.done = true;
    if (abortReason === undefined && missing((entry) => !entry?.done).length === 0) settle({ ok: true });
    return { stop: abortReason };
  });

  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return {
    url: address,
    outcome,
    async survivorsDone(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const unfinished = () =>
        missing((state) => state !== undefined && !state.done).filter((index) => !dead.has(index));
      while (unfinished().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      return { dead: [...dead].sort((a, b) => a - b), unfinished: unfinished() };
    },
    async close() {
      clearTimeout(registrationTimer);
      clearInterval(heartbeatTimer);
      abort('coordinator closed');
      wakePublishedWaiters();
      await app.close();
    },
  };
}

function identityMismatch(expected: RunIdentity, got: Partial<RunIdentity>): string | undefined {
  if (got.runId !== expected.runId) return `run id mismatch: coordinator ${expected.runId}, shard ${got.runId}`;
  if (got.shardCount !== expected.shardCount) {
    return `shard count mismatch: coordinator ${expected.shardCount}, shard ${got.shardCount}`;
  }
  if (got.scenarioHash !== expected.scenarioHash) {
    return `scenario hash mismatch: coordinator ${expected.scenarioHash}, shard ${got.scenarioHash}`;
  }
  if (got.harnessVersion !== expected.harnessVersion) {
    return `harness version mismatch: coordinator ${expected.harnessVersion}, shard ${got.harnessVersion}`;
  }
  return undefined;
}
