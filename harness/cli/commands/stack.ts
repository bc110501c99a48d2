import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { isUserError, UserError } from '../../common/errors.ts';
import { ExitCode } from '../../common/exit-codes.ts';
import { log } from '../../common/log.ts';
import { newRunId, resultsRoot } from '../../common/run-id.ts';
import type { StackEndpoints } from '../../common/stack-types.ts';
import { withoutPassword } from '../../common/urls.ts';
import { asFlag } from '../../common/validation.ts';
import { parseStackSpec, type Stack, type StackSpec, servicesFor, startStack } from '../../stack/index.ts';
import {
  defaultStacksDir,
  readStackFile,
  removeStackFile,
  stackFilePath,
  writeStackFile,
} from '../../stack/stack-file.ts';
import { ensureTools } from '../../stack/toolchain/ensure-tools.ts';
import type { CommandContext } from '../command-context.ts';

interface UpOptions {
  provider: string;
  engine: string;
  nodes: string;
  services: string;
  centrifugoPort?: string;
  name: string;
  json?: boolean;
  foreground?: boolean;
  stackFile?: string;
  setup: boolean;
}

function specFromOptions(options: UpOptions): StackSpec {
  const services =
    options.services === 'all'
      ? ['postgres', 'redis', 'nats', 'clickhouse']
      : options.services === 'none'
        ? []
        : options.services
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
  const nodes = Number(options.nodes);
  return parseStackSpec(
    {
      provider: options.provider,
      engine: options.engine,
      nodes: Number.isInteger(nodes) ? nodes : options.nodes,
      services,
      centrifugoPorts: options.centrifugoPort ? [Number(options.centrifugoPort)] : undefined,
      stackFile: options.stackFile,
    },
    asFlag,
  );
}

/** Endpoints safe to print: no password in any URL. */
function printableEndpoints(endpoints: StackEndpoints): StackEndpoints {
  return {
    ...endpoints,
    postgres: endpoints.postgres && { url: withoutPassword(endpoints.postgres.url) },
    redis: endpoints.redis && { url: withoutPassword(endpoints.redis.url) },
  };
}

function printEndpoints(name: string, file: string, json: boolean): void {
  const { stack } = readStackFile(file);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...stack, stackFile: file }, null, 2)}\n`);
    return;
  }
  const e = stack.endpoints;
  const lines = [`stack "${name}" is up (${stack.provider}, engine ${e.centrifugo.engine}); run id ${stack.runId}`];
  for (const node of e.centrifugo.nodes) lines.push(`  centrifugo ${node.name}  ${node.httpUrl}  ${node.wsUrl}`);
  if (e.postgres) lines.push(`  postgres           ${e.postgres.url}`);
  if (e.redis) lines.push(`  redis              ${e.redis.url}`);
  if (e.nats) lines.push(`  nats               ${e.nats.url}`);
  if (e.clickhouse) lines.push(`  clickhouse         ${e.clickhouse.url}`);
  if (e.chatApp) lines.push(`  chat app           ${e.chatApp.url}`);
  if (e.pushRelay) lines.push(`  push relay         ${e.pushRelay.url}`);
  if (e.pushSink) {
    lines.push(`  push sink (FCM)    ${e.pushSink.fcmUrl}`);
    lines.push(`  push sink (WebPush) ${e.pushSink.webPushUrl}  CA: ${e.pushSink.caFile}`);
  }
  lines.push(`  secrets (API key, HMAC secret, passwords): ${path.resolve(path.dirname(file), stack.secretsFile)}`);
  if (stack.logsDir) lines.push(`  logs: ${stack.logsDir}`);
  lines.push(`  stop it with: centrifugo-bench stack down${name === 'default' ? '' : ` --name ${name}`}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function assertNotRunning(dir: string, name: string): void {
  const file = stackFilePath(dir, name);
  if (!existsSync(file)) return;
  const pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }).pid;
  if (pidAlive(pid)) {
    throw new UserError(
      `a stack named "${name}" is already running (pid ${pid}); stop it with \`centrifugo-bench stack down` +
        `${name === 'default' ? '' : ` --name ${name}`}\` or start another with --name`,
    );
  }
  removeStackFile(file); // left behind by a holder that died
}

/** Starts the stack in this process and writes its stack file; teardown removes the file. */
async function startHeld(spec: StackSpec, name: string, dir: string, signal: AbortSignal): Promise<Stack> {
  const runId = newRunId();
  const logsDir = path.join(resultsRoot(), runId, 'logs');
  const stack = await startStack(spec, { runId, logsDir, signal });
  writeStackFile(
    dir,
    {
      schemaVersion: 1,
      name,
      runId,
      pid: process.pid,
      provider: stack.provider,
      startedAt: new Date().toISOString(),
      endpoints: printableEndpoints(stack.endpoints),
      versions: stack.versions,
      logsDir: stack.logsDir,
    },
    stack.secrets,
  );
  return stack;
}

/** Holds a started stack until a signal or a service crash; always tears down and removes the stack file. */
async function holdUntilStopped(stack: Stack, file: string, signal: AbortSignal): Promise<void> {
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const crash = await Promise.race([aborted.then(() => undefined), stack.crashed]);
  if (crash) {
    log.error('stack', `${crash.message}; tearing the stack down`);
    for (const line of crash.logTail) log.error('stack', `  ${line}`);
  }
  removeStackFile(file);
  await stack.down();
  if (crash) process.exitCode = ExitCode.harnessError;
}

export function registerStack(program: Command, context: CommandContext): void {
  const stack = program.command('stack').description('start, inspect and stop a stack that stays up between runs');
  const stacksDir = () => defaultStacksDir(resultsRoot());

  stack
    .command('up')
    .description('start the stack and keep it running; prints its endpoints (secrets go to a 0600 file)')
    .option('--provider <provider>', 'local | external | containers', 'local')
    .option('--engine <engine>', 'Centrifugo engine/broker: memory | redis | nats', 'memory')
    .option('--nodes <n>', 'Centrifugo nodes (more than one needs engine redis or nats)', '1')
    .option('--services <list>', 'extra services: all | none | comma list of postgres,redis,nats,clickhouse', 'all')
    .option('--centrifugo-port <port>', 'port of the first Centrifugo node (default: a free port)')
    .option('--stack-file <file>', 'for --provider external: the stack file describing the deployment')
    .option('--name <name>', 'name of this stack, to run several side by side', 'default')
    .option('--json', 'print the stack file (endpoints, versions; no secrets) as JSON')
    .option('--foreground', 'stay in the foreground; Ctrl-C stops the stack')
    .option('--no-setup', 'do not install missing programs; fail instead')
    .action(async (options: UpOptions) => {
      const spec = specFromOptions(options);
      const dir = stacksDir();
      assertNotRunning(dir, options.name);
      if (spec.provider === 'local') await ensureTools(servicesFor(spec), { setup: options.setup });
      if (options.foreground) {
        const held = await startHeld(spec, options.name, dir, context.signal);
        const file = stackFilePath(dir, options.name);
        printEndpoints(options.name, file, Boolean(options.json));
        await holdUntilStopped(held, file, context.signal);
        // Ctrl-C is how a foreground stack is meant to stop: a clean stop, not an aborted run.
        if (process.exitCode === undefined) process.exitCode = ExitCode.ok;
        return;
      }
      await startDetached(spec, options, dir, context.signal);
      printEndpoints(options.name, stackFilePath(dir, options.name), Boolean(options.json));
    });

  stack
    .command('hold', { hidden: true })
    .requiredOption('--name <name>')
    .requiredOption('--spec <json>')
    .action(async (options: { name: string; spec: string }) => {
      const dir = stacksDir();
      const errorFile = path.join(dir, `${options.name}.error.json`);
      try {
        const held = await startHeld(parseStackSpec(JSON.parse(options.spec)), options.name, dir, context.signal);
        await holdUntilStopped(held, stackFilePath(dir, options.name), context.signal);
      } catch (error) {
        const payload = isUserError(error)
          ? { message: error.message, details: error.details, exitCode: error.exitCode }
          : { message: (error as Error).stack ?? String(error), details: [], exitCode: ExitCode.harnessError };
        writeFileSync(errorFile, JSON.stringify(payload));
        throw error;
      }
    });

  stack
    .command('down')
    .description('stop a stack started with `stack up`; every process and temporary folder goes')
    .option('--name <name>', 'which stack', 'default')
    .action(async (options: { name: string }) => {
      const file = stackFilePath(stacksDir(), options.name);
      if (!existsSync(file)) throw new UserError(`no stack named "${options.name}" is running (no ${file})`);
      const { stack: held } = readStackFile(file);
      if (!pidAlive(held.pid)) {
        removeStackFile(file);
        log.info('stack', `stack "${options.name}" was not running any more (stale stack file removed)`);
        return;
      }
      process.kill(held.pid!, 'SIGTERM');
      const deadline = Date.now() + 60_000;
      while (pidAlive(held.pid) && Date.now() < deadline) await sleep(100);
      if (pidAlive(held.pid))
        throw new UserError(`stack "${options.name}" (pid ${held.pid}) did not stop within 60s`, { exitCode: 1 });
      log.info('stack', `stack "${options.name}" stopped`);
    });

  stack
    .command('status')
    .description('show the stacks started with `stack up`')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const dir = stacksDir();
      const names = existsSync(dir)
        ? readdirNames(dir).filter((n) => pidAlive(JSON.parse(readFileSync(stackFilePath(dir, n), 'utf8')).pid))
        : [];
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify(
            names.map((n) => readStackFile(stackFilePath(dir, n)).stack),
            null,
            2,
          )}\n`,
        );
      } else if (names.length === 0) {
        process.stdout.write('no stack is running\n');
      } else {
        for (const n of names) printEndpoints(n, stackFilePath(dir, n), false);
      }
    });
}

function readdirNames(dir: string): string[] {
  return readdirSyncSafe(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.secrets.json') && !f.endsWith('.error.json'))
    .map((f) => f.slice(0, -'.json'.length));
}

function readdirSyncSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Starts a detached holder process (`stack hold`) that owns the stack, and waits until it has written
 * the stack file — or has failed, in which case its error is re-raised here with the same exit code.
 */
async function startDetached(spec: StackSpec, options: UpOptions, dir: string, signal: AbortSignal): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = stackFilePath(dir, options.name);
  const errorFile = path.join(dir, `${options.name}.error.json`);
  const holderLog = path.join(dir, `${options.name}.holder.log`);
  rmSync(errorFile, { force: true });
  const bin = fileURLToPath(new URL('../bin.mjs', import.meta.url));
  const logFd = openSync(holderLog, 'w', 0o600);
  const child = spawn(
    process.execPath,
    [bin, 'stack', 'hold', '--name', options.name, '--spec', JSON.stringify(spec)],
    {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, CENTRIFUGO_BENCH_RESULTS: resultsRoot() },
    },
  );
  child.unref();
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 10 * 60_000;
  while (!existsSync(file)) {
    if (signal.aborted) {
      child.pid && process.kill(child.pid, 'SIGTERM');
      throw new UserError('stopped before the stack was up; it is being torn down', {
        exitCode: ExitCode.externalAbort,
      });
    }
    if (exited) {
      if (existsSync(errorFile)) {
        const error = JSON.parse(readFileSync(errorFile, 'utf8')) as {
          message: string;
          details: string[];
          exitCode: number;
        };
        rmSync(errorFile, { force: true });
        throw new UserError(error.message, { details: error.details, exitCode: error.exitCode as 2 });
      }
      throw new UserError(`the stack holder exited before the stack was up; see ${holderLog}`, { exitCode: 1 });
    }
    if (Date.now() > deadline)
      throw new UserError(`the stack did not come up within 10 minutes; see ${holderLog}`, { exitCode: 1 });
    await sleep(100);
  }
}
