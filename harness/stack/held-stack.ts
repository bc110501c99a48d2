/**
 * A stack that stays up between runs (`stack up`): named, held by one process, described by a stack file in
 * the stacks folder (results/.stacks) while it runs. The holder is either this process (foreground) or a
 * detached holder process that the caller names (the stack does not know how the CLI is spawned); a holder
 * that fails before the stack is up leaves its error in `<name>.error.json` for the process waiting on it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isUserError, UserError } from '../common/errors.ts';
import { ExitCode } from '../common/exit-codes.ts';
import { log } from '../common/log.ts';
import { newRunId, resultsRoot } from '../common/run-id.ts';
import type { StackEndpoints } from '../common/stack-types.ts';
import { withoutPassword } from '../common/urls.ts';
import type { Stack } from './stack.ts';
import { readStackFile, removeStackFile, stackFilePath, writeStackFile } from './stack-file.ts';
import type { StackSpec } from './stack-spec.ts';
import { parseStackSpec, startStack } from './start-stack.ts';

/** A stack started and held by this process, and the stack file that announces it. */
export interface HeldStack {
  stack: Stack;
  file: string;
}

/** What a service crash looked like, when one ended the hold. */
export type StackCrash = Awaited<Stack['crashed']>;

/** The program that holds a detached stack: it is run with `--name <name> --spec <json>` appended. */
export interface HolderCommand {
  command: string;
  args: string[];
}

interface HolderError {
  message: string;
  details: string[];
  exitCode: number;
}

function errorFilePath(dir: string, name: string): string {
  return path.join(dir, `${name}.error.json`);
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

function holderPid(file: string): number | undefined {
  return (JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }).pid;
}

/** Endpoints safe to write where anyone may print them: no password in any URL. */
function printableEndpoints(endpoints: StackEndpoints): StackEndpoints {
  return {
    ...endpoints,
    postgres: endpoints.postgres && { url: withoutPassword(endpoints.postgres.url) },
    redis: endpoints.redis && { url: withoutPassword(endpoints.redis.url) },
  };
}

/** Fails if a stack of this name is running; removes the stack file a holder that died left behind. */
export function assertNotRunning(dir: string, name: string): void {
  const file = stackFilePath(dir, name);
  if (!existsSync(file)) return;
  const pid = holderPid(file);
  if (pidAlive(pid)) {
    throw new UserError(
      `a stack named "${name}" is already running (pid ${pid}); stop it with \`centrifugo-bench stack down` +
        `${name === 'default' ? '' : ` --name ${name}`}\` or start another with --name`,
    );
  }
  removeStackFile(file); // left behind by a holder that died
}

/** Starts the stack in this process and writes its stack file; `holdUntilStopped` removes the file. */
export async function startHeldStack(
  spec: StackSpec,
  name: string,
  dir: string,
  signal: AbortSignal,
): Promise<HeldStack> {
  const runId = newRunId();
  const logsDir = path.join(resultsRoot(), runId, 'logs');
  const stack = await startStack(spec, { runId, logsDir, signal });
  const file = writeStackFile(
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
  return { stack, file };
}

/**
 * Holds a started stack until `signal` aborts or a service crashes; always tears down and removes the stack
 * file. Resolves with the crash (logged here), or undefined when the stack was stopped.
 */
export async function holdUntilStopped(held: HeldStack, signal: AbortSignal): Promise<StackCrash | undefined> {
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const crash = await Promise.race([aborted.then(() => undefined), held.stack.crashed]);
  if (crash) {
    log.error('stack', `${crash.message}; tearing the stack down`);
    for (const line of crash.logTail) log.error('stack', `  ${line}`);
  }
  removeStackFile(held.file);
  await held.stack.down();
  return crash;
}

/**
 * The body of a detached holder process: starts the stack `startDetached` passed (`specJson`, the spec it
 * holds, as JSON: parsed again, this process's edge), holds it until stopped. A failure is also written to the
 * error file, where `startDetached` in the waiting process picks it up, then rethrown.
 */
export async function holdStack(
  specJson: string,
  name: string,
  dir: string,
  signal: AbortSignal,
): Promise<StackCrash | undefined> {
  try {
    const held = await startHeldStack(parseStackSpec(JSON.parse(specJson)), name, dir, signal);
    return await holdUntilStopped(held, signal);
  } catch (error) {
    const payload: HolderError = isUserError(error)
      ? { message: error.message, details: error.details, exitCode: error.exitCode }
      : { message: (error as Error).stack ?? String(error), details: [], exitCode: ExitCode.harnessError };
    writeFileSync(errorFilePath(dir, name), JSON.stringify(payload));
    throw error;
  }
}

/**
 * Starts a detached holder process (`holder` + `--name`, `--spec`) that owns the stack, and waits until it
 * has written the stack file — or has failed, in which case its error is re-raised here with the same exit
 * code. Returns the stack file.
 */
export async function startDetached(
  spec: StackSpec,
  name: string,
  dir: string,
  holder: HolderCommand,
  signal: AbortSignal,
): Promise<string> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = stackFilePath(dir, name);
  const errorFile = errorFilePath(dir, name);
  const holderLog = path.join(dir, `${name}.holder.log`);
  rmSync(errorFile, { force: true });
  const logFd = openSync(holderLog, 'w', 0o600);
  const child = spawn(holder.command, [...holder.args, '--name', name, '--spec', JSON.stringify(spec)], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, CENTRIFUGO_BENCH_RESULTS: resultsRoot() },
  });
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
        const error = JSON.parse(readFileSync(errorFile, 'utf8')) as HolderError;
        rmSync(errorFile, { force: true });
        throw new UserError(error.message, { details: error.details, exitCode: error.exitCode as 2 });
      }
      throw new UserError(`the stack holder exited before the stack was up; see ${holderLog}`, { exitCode: 1 });
    }
    if (Date.now() > deadline)
      throw new UserError(`the stack did not come up within 10 minutes; see ${holderLog}`, { exitCode: 1 });
    await sleep(100);
  }
  return file;
}

/**
 * Stops the stack held under `name` (SIGTERM to its holder, which tears it down) and waits up to 60 s.
 * 'stale' when its holder had died already (the stack file it left is removed).
 */
export async function stopHeldStack(dir: string, name: string): Promise<'stopped' | 'stale'> {
  const file = stackFilePath(dir, name);
  if (!existsSync(file)) throw new UserError(`no stack named "${name}" is running (no ${file})`);
  const { stack: held } = readStackFile(file);
  if (!pidAlive(held.pid)) {
    removeStackFile(file);
    return 'stale';
  }
  process.kill(held.pid!, 'SIGTERM');
  const deadline = Date.now() + 60_000;
  while (pidAlive(held.pid) && Date.now() < deadline) await sleep(100);
  if (pidAlive(held.pid))
    throw new UserError(`stack "${name}" (pid ${held.pid}) did not stop within 60s`, { exitCode: 1 });
  return 'stopped';
}

/** The stacks whose holder is alive, by name, with their stack files. */
export function listRunningStacks(dir: string): { name: string; file: string }[] {
  return stackNames(dir)
    .map((name) => ({ name, file: stackFilePath(dir, name) }))
    .filter(({ file }) => pidAlive(holderPid(file)));
}

function stackNames(dir: string): string[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith('.json') && !f.endsWith('.secrets.json') && !f.endsWith('.error.json'))
    .map((f) => f.slice(0, -'.json'.length));
}
