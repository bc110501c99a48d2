/**
 * The reference push relay: `node --import tsx harness/sut/push-relay/main.ts --config relay.json`.
 *
 * Role `all` (default): creates the schema and consumer groups, serves the API, and runs the workers —
 * in-process when `workers.processes` is 0, else in that many child processes (role `worker`). Prints one
 * JSON line `{"url","pid","version"}` on stdout when ready. SIGTERM/SIGINT: stop accepting, let in-flight
 * batches settle, exit 0. Unsettled queue entries stay pending and are claimed by the next worker.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startCpuProfile } from '../../common/cpu-profile.ts';
import { DeviceStore } from './device-store.ts';
import { PushQueue } from './push-queue.ts';
import { buildRelayApi } from './relay-api.ts';
import { loadRelayConfig } from './relay-config.ts';
import { type RelayWorkers, startRelayWorkers } from './relay-workers.ts';
import { RELAY_VERSION } from './version.ts';

const { values } = parseArgs({
  options: { config: { type: 'string' }, role: { type: 'string', default: 'all' } },
});
if (!values.config) {
  process.stderr.write('usage: main.ts --config relay.json [--role all|worker]\n');
  process.exit(2);
}
const role = values.role === 'worker' ? 'worker' : 'all';
const log = (message: string) =>
  process.stderr.write(`${new Date().toISOString()} [${role} ${process.pid}] ${message}\n`);

const config = loadRelayConfig(values.config);
const store = new DeviceStore(config.postgresUrl, { max: role === 'worker' ? 4 : 10 });
const queue = new PushQueue(config.redisUrl, config.redisPrefix);
const children: ChildProcess[] = [];
let workers: RelayWorkers | undefined;
let stopping = false;

async function main(): Promise<void> {
  const stopProfile = await startCpuProfile('PUSH_RELAY_CPU_PROFILE_DIR', `relay-${role}`);
  if (stopProfile) shutdownHooks.push(stopProfile);
  if (role === 'worker') {
    workers = startRelayWorkers(config, queue, store, log);
    process.send?.({ ready: true });
    return;
  }
  await store.ensureSchema();
  await queue.ensureGroups();
  if (config.workers.processes === 0) {
    workers = startRelayWorkers(config, queue, store, log);
  } else {
    await Promise.all(
      Array.from({ length: config.workers.processes }, () => {
        const child = fork(process.argv[1]!, ['--config', values.config!, '--role', 'worker'], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        children.push(child);
        child.once('exit', (code, signal) => {
          if (stopping) return;
          // A dead worker is a bug worth seeing: the whole relay stops, so the stack reports the crash.
          log(`worker ${child.pid} exited (${signal ?? `code ${code}`}); stopping the relay`);
          void shutdown(1);
        });
        return new Promise<void>((resolve) => child.once('message', () => resolve()));
      }),
    );
  }
  const app = buildRelayApi({
    config,
    store,
    queue,
    log,
    stats: () => ({
      workers: workers ? { send: workers.send.stats, fanoutJobsDone: workers.fanout.jobsDone } : 'child processes',
    }),
  });
  const address = await app.listen({ host: config.host, port: config.port });
  process.stdout.write(`${JSON.stringify({ url: address, pid: process.pid, version: RELAY_VERSION })}\n`);
  shutdownHooks.push(() => app.close());
}

const shutdownHooks: (() => Promise<unknown>)[] = [];

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const timer = setTimeout(() => process.exit(code || 1), 15_000);
  timer.unref();
  for (const hook of shutdownHooks) await hook().catch(() => {});
  for (const child of children) child.kill('SIGTERM');
  await workers?.stop();
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  await queue.close();
  await store.close().catch(() => {});
  process.exit(code);
}

process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));
process.on('unhandledRejection', (error) => log(`unhandled rejection: ${(error as Error)?.stack ?? String(error)}`));

main().catch((error: Error) => {
  log(`failed to start: ${error.message}`);
  void shutdown(1);
});
