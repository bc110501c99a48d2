import Fastify, { type FastifyInstance } from 'fastify';

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
}

export interface Coordinator {
  readonly url: string;
  /** Settles when the run ends: every shard done, or aborted with the reason. */
  readonly outcome: Promise<{ ok: true } | { ok: false; reason: string }>;
  close(): Promise<void>;
}

/** The coordinator's clock, µs since the epoch (monotonic within the process). */
export const coordinatorNowUs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

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
  let settle: (value: { ok: true } | { ok: false; reason: string }) => void = () => {};
  const outcome = new Promise<{ ok: true } | { ok: false; reason: string }>((resolve) => {
    settle = resolve;
  });

  const wakeWaiters = () => {
    for (const wake of startWaiters) wake();
    startWaiters.clear();
  };
  const abort = (reason: string) => {
    if (abortReason !== undefined) return;
    abortReason = reason;
    settle({ ok: false, reason });
    wakeWaiters();
  };
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
          abort(`shard ${index} stopped sending heartbeats (${heartbeatTimeoutMs} ms): the merged run is invalid`);
        }
      }
    },
    Math.max(50, heartbeatTimeoutMs / 4),
  );

  const app: FastifyInstance = Fastify({ logger: false });
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
    async close() {
      clearTimeout(registrationTimer);
      clearInterval(heartbeatTimer);
      abort('coordinator closed');
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
