import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startCpuProfile } from '../../common/cpu-profile.ts';
import { isUserError } from '../../common/errors.ts';
import { issueCertificates } from './certificates.ts';
import { nowUs } from './clock.ts';
import { type FaultProfile, parseFaultProfile, type SinkConfig } from './config.ts';
import type { ControlCall, ToPrimary, ToWorker, WorkerInit } from './protocol.ts';
import { leaseSize, ProjectQuota } from './rate-limits.ts';
import type { Receipt } from './receipts.ts';
import { createServiceAccount, projectNumber, writeServiceAccount } from './service-account.ts';
import { mergeDeadHits, mergeSnapshots, type WorkerSnapshot } from './stats.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Where the sink is and what it wrote; printed as one JSON line by `centrifugo-bench sink` (README). */
export interface SinkEndpoints {
  url: string;
  fcmUrl: string;
  tokenUrl: string;
  webPushUrl: string;
  controlUrl: string;
  caFile: string;
  credentialsFile: string;
  receiptsDir: string;
  stateDir: string;
  projectId: string;
  projectNumber: string;
  workers: number;
  pid: number;
  version: string;
}

export interface RunningSink {
  endpoints: SinkEndpoints;
  /** Stops every worker (each flushes its receipts first). */
  stop(): Promise<void>;
  /** Resolves with a message when the sink cannot serve any more (a worker died more often than it may restart). */
  crashed: Promise<string>;
}

export interface SinkLogger {
  info(message: string): void;
  warn(message: string): void;
}

const GATHER_TIMEOUT_MS = 10_000;
const MAX_RESPAWNS = 5;
const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * Starts the sink: per-run CA and service account, then `workers` worker processes (node:cluster) sharing
 * one TLS port. This process owns what must be global: the quota bucket, the fault profile, the aggregation
 * of stats, the receipt files. Only one sink per process (node:cluster has one primary configuration).
 */
export async function startSink(
  config: SinkConfig,
  options: { stateDir?: string; receiptsDir?: string; logger?: SinkLogger } = {},
): Promise<RunningSink> {
  if (!cluster.isPrimary) throw new Error('startSink runs in a primary process');
  const logger = options.logger ?? { info: () => {}, warn: (m: string) => process.stderr.write(`${m}\n`) };
  const workers = config.workers === 'auto' ? os.availableParallelism() : config.workers;
  const resolved: SinkConfig = { ...config, workers };
  const seed = config.seed ?? randomBytes(12).toString('base64url');
  // A state folder the sink made itself is its own to remove when it stops (receipts inside it go too).
  const ownsStateDir = !options.stateDir && !config.stateDir;
  const stateDir = options.stateDir ?? config.stateDir ?? mkdtempSync(path.join(os.tmpdir(), 'centrifugo-bench-sink-'));
  const receiptsDir = options.receiptsDir ?? path.join(stateDir, 'receipts');
  mkdirSync(receiptsDir, { recursive: true });

  const stopProfile = await startCpuProfile('PUSH_SINK_CPU_PROFILE_DIR', 'sink-primary');
  const certificates = await issueCertificates();
  const caFile = path.join(stateDir, 'ca.pem');
  writeFileSync(caFile, certificates.caCertPem);
  const { projectId } = config.fcm;
  const number = projectNumber(projectId);
  // token_uri needs the port; the key pair does not. The file is written once the port is known.
  const { account, publicKeyPem } = createServiceAccount(projectId, 'https://127.0.0.1:0/token');

  const startedUs = nowUs();
  const quota = new ProjectQuota(config.fcm.quota.perMinute, startedUs);
  let faults: { profile: FaultProfile; appliedAtUs: number } = { profile: config.faults, appliedAtUs: startedUs };
  const init: WorkerInit = {
    config: resolved,
    seed,
    authKey: randomBytes(32).toString('base64url'),
    tls: { key: certificates.serverKeyPem, cert: certificates.serverCertPem },
    serviceAccount: { clientEmail: account.client_email, publicKeyPem, keyId: account.private_key_id },
    projectNumber: number,
    receiptsDir,
    faults,
    leaseSize: leaseSize(config.fcm.quota.perMinute, workers),
  };

  cluster.setupPrimary({
    exec: fileURLToPath(new URL('./worker.ts', import.meta.url)),
    execArgv: ['--import', import.meta.resolve('tsx')],
  });

  const live = new Map<number, Worker>();
  const gathers = new Map<number, { expected: number; got: ToPrimary[]; done: (replies: ToPrimary[]) => void }>();
  let nextId = 1;
  let stopping = false;
  let respawns = 0;
  let port = 0;
  let endpoints: SinkEndpoints | undefined;
  let reportCrash: (message: string) => void = () => {};
  const crashed = new Promise<string>((resolve) => {
    reportCrash = resolve;
  });

  function broadcast(message: ToWorker): void {
    for (const worker of live.values()) worker.send(message);
  }

  /** Sends `make(id)` to every worker and resolves with their replies (or what arrived before the timeout). */
  function gather(make: (id: number) => ToWorker): Promise<ToPrimary[]> {
    const id = nextId++;
    return new Promise((resolve) => {
      const entry = { expected: live.size, got: [] as ToPrimary[], done: resolve };
      gathers.set(id, entry);
      const timer = setTimeout(() => {
        gathers.delete(id);
        resolve(entry.got);
      }, GATHER_TIMEOUT_MS);
      entry.done = (replies) => {
        clearTimeout(timer);
        gathers.delete(id);
        resolve(replies);
      };
      if (entry.expected === 0) entry.done([]);
      for (const worker of live.values()) worker.send(make(id));
    });
  }

  async function snapshots(): Promise<WorkerSnapshot[]> {
    const replies = await gather((id) => ({ type: 'snapshot', id }));
    return replies.flatMap((r) => (r.type === 'snapshot-reply' ? [r.snapshot] : []));
  }

  async function flushAll(): Promise<void> {
    await gather((id) => ({ type: 'flush', id }));
  }

  function receiptFiles(): string[] {
    return readdirSync(receiptsDir)
      .filter((f) => f.endsWith('.ndjson'))
      .map((f) => path.join(receiptsDir, f));
  }

  async function findReceipts(
    pushIds: string[],
  ): Promise<{ receipts: Receipt[] } | { files: string[]; count: number }> {
    await flushAll();
    const files = receiptFiles();
    const wanted = new Set(pushIds);
    const found: Receipt[] = [];
    let count = 0;
    for (const file of files) {
      const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
      for await (const line of lines) {
        if (!line) continue;
        count++;
        if (wanted.size === 0) continue;
        const match = /"pushId":("(?:[^"\\]|\\.)*")/.exec(line);
        if (match?.[1] && wanted.has(JSON.parse(match[1]) as string)) found.push(JSON.parse(line) as Receipt);
      }
    }
    return wanted.size === 0 ? { files, count } : { receipts: found };
  }

  async function control(call: ControlCall): Promise<{ status: number; body: unknown }> {
    switch (call.op) {
      case 'stats': {
        const merged = mergeSnapshots(await snapshots());
        const now = nowUs();
        quota.bucket.refill(now);
        const { quotaThrottled, ...rest } = merged;
        return {
          status: 200,
          body: {
            uptimeSeconds: (now - startedUs) / 1e6,
            workers: live.size,
            nowUs: now,
            ...rest,
            quota: {
              projectId,
              perMinute: quota.perMinute,
              available: Math.floor(quota.bucket.tokens),
              throttled: quotaThrottled,
            },
            faults,
          },
        };
      }
      case 'reset':
        broadcast({ type: 'reset' });
        quota.bucket.reset(nowUs());
        return { status: 200, body: { ok: true } };
      case 'receipts':
        return { status: 200, body: await findReceipts(call.pushIds) };
      case 'dead-hits': {
        const all = await snapshots();
        const top = (provider: 'fcm' | 'webpush') =>
          [...mergeDeadHits(all, provider)]
            .sort((a, b) => b[1] - a[1])
            .slice(0, call.limit)
            .map(([device, hits]) => ({ device, hits }));
        return { status: 200, body: { fcm: top('fcm'), webpush: top('webpush') } };
      }
      case 'get-faults':
        return { status: 200, body: faults };
      case 'set-faults': {
        try {
          const profile = parseFaultProfile(call.body, call.merge ? faults.profile : undefined);
          faults = { profile, appliedAtUs: nowUs() };
          broadcast({ type: 'faults', ...faults });
          logger.info(`fault profile ${call.merge ? 'patched' : 'replaced'}: ${JSON.stringify(profile)}`);
          return { status: 200, body: faults };
        } catch (error) {
          if (isUserError(error)) return { status: 400, body: { error: error.message, details: error.details } };
          throw error;
        }
      }
      case 'info':
        return {
          status: 200,
          body: { ...endpoints, seed, clientEmail: account.client_email, projectNumber: number },
        };
    }
  }

  function onMessage(worker: Worker, message: ToPrimary): void {
    switch (message.type) {
      case 'lease': {
        const result = quota.lease(message.want, nowUs());
        worker.send({ type: 'lease-reply', id: message.id, ...result } satisfies ToWorker);
        break;
      }
      case 'snapshot-reply':
      case 'flush-reply': {
        const entry = gathers.get(message.id);
        if (entry) {
          entry.got.push(message);
          if (entry.got.length >= entry.expected) entry.done(entry.got);
        }
        break;
      }
      case 'control':
        control(message.call).then(
          (reply) => worker.send({ type: 'reply', id: message.id, ...reply } satisfies ToWorker),
          (error: Error) =>
            worker.send({
              type: 'reply',
              id: message.id,
              status: 500,
              body: { error: error.message },
            } satisfies ToWorker),
        );
        break;
      case 'ready':
        worker.send({ type: 'init', init: { ...init, faults } } satisfies ToWorker);
        break;
      case 'listening':
        break;
    }
  }

  function fork(index: number): Promise<number> {
    const worker = cluster.fork({ CENTRIFUGO_BENCH_SINK_WORKER: String(index) });
    live.set(index, worker);
    worker.on('message', (message: ToPrimary) => onMessage(worker, message));
    worker.on('exit', (code, signal) => {
      if (live.get(index) === worker) live.delete(index);
      if (stopping) return;
      const how = `push sink worker ${index} exited (${signal ?? `code ${code}`})`;
      if (!port) return; // still starting: the start fails with this worker
      if (respawns++ < MAX_RESPAWNS) {
        logger.warn(`${how}; starting another`);
        fork(index).catch((error: Error) => reportCrash(error.message));
      } else reportCrash(`${how}, and ${MAX_RESPAWNS} workers died before it`);
    });
    return new Promise((resolve, reject) => {
      const onListening = (message: ToPrimary) => {
        if (message.type === 'listening') {
          worker.off('message', onListening);
          resolve(message.port);
        }
      };
      worker.on('message', onListening);
      worker.once('exit', (code) =>
        reject(new Error(`push sink worker ${index} exited with code ${code} while starting`)),
      );
    });
  }

  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    await Promise.all(
      [...live.values()].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const timer = setTimeout(() => {
              worker.process.kill('SIGKILL');
              resolve();
            }, 5000);
            worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            worker.send({ type: 'shutdown' } satisfies ToWorker);
          }),
      ),
    );
    live.clear();
    await stopProfile?.();
    if (ownsStateDir) rmSync(stateDir, { recursive: true, force: true });
  }

  try {
    // A concrete port for every worker: with port 0, node:cluster would share one handle between every
    // sink of this process (its handles are keyed by address and port).
    const wanted = config.port || (await freePort());
    init.config = { ...resolved, port: wanted };
    port = await fork(0);
    await Promise.all(Array.from({ length: workers - 1 }, (_, i) => fork(i + 1)));
  } catch (error) {
    await stop();
    throw error;
  }

  const url = `https://127.0.0.1:${port}`;
  account.token_uri = `${url}/token`;
  const credentialsFile = path.join(stateDir, 'service-account.json');
  writeServiceAccount(credentialsFile, account);
  endpoints = {
    url,
    fcmUrl: `${url}/v1`,
    tokenUrl: `${url}/token`,
    webPushUrl: `${url}/wp`,
    controlUrl: `${url}/__sink`,
    caFile,
    credentialsFile,
    receiptsDir,
    stateDir,
    projectId,
    projectNumber: number,
    workers,
    pid: process.pid,
    version: VERSION,
  };
  writeFileSync(path.join(stateDir, 'sink.json'), `${JSON.stringify(endpoints)}\n`);
  logger.info(`listening on ${url} with ${workers} worker${workers === 1 ? '' : 's'}; state in ${stateDir}`);
  return { endpoints, stop, crashed };
}
