/**
 * What the sharded-run tests and benchmarks share: the CLI as child processes writing under one results folder,
 * a coordinator (`coordinate … --port 0`) and its URL, shard processes (`run … --shard i/n`), summaries read
 * back, and — for tests — a check that nothing a test started is left running (each process carries its own
 * CB_TEST_TAG value, and so does everything it starts).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunSummary } from '../../common/summary-types.ts';
import { processesWithEnv } from '../../stack/testing.ts';

export const BIN = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url));
/** The environment variable that marks every process a test starts (harness/stack/testing.ts finds them). */
export const TAG = 'CB_TEST_TAG';

/**
 * scenarios/smoke.ts, small: 90 subscribers, `rate` messages a second for `seconds`, against the external stack
 * in `stackFile` — the workload the sharded tests compare with one process.
 */
export function smallBroadcastSets(stackFile: string, seconds: number, rate = 6): string[] {
  return [
    ['stack.provider', 'external'],
    ['stack.stackFile', stackFile],
    ['workload.subscribers.count', '90'],
    ['workload.publishers.rate', String(rate)],
    ['workload.publishers.duration', `${seconds}s`],
    ['workload.drain', '3s'],
  ].flatMap(([key, value]) => ['--set', `${key}=${value}`]);
}

export interface CliProcess {
  child: ChildProcess;
  /** Its CB_TEST_TAG value, inherited by whatever it starts. */
  tag: string;
  exit: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
}

/**
 * `centrifugo-bench <args>` as a child process writing under `resultsDir` (unless `env` names another
 * CENTRIFUGO_BENCH_RESULTS), with a fresh CB_TEST_TAG value; stdout and stderr kept.
 */
export function startCli(
  resultsDir: string,
  args: string[],
  env: Record<string, string> = {},
  options: { monotonicOffsetS?: number } = {},
): CliProcess {
  const tag = randomUUID();
  // A Linux time namespace (util-linux `unshare`) gives the process and everything it starts its own
  // CLOCK_MONOTONIC, `monotonicOffsetS` whole seconds ahead of this host's: what another machine's clock is.
  // Creating one needs root, or (for a developer who is not) a user namespace of its own that maps them to it.
  const asRoot = process.getuid?.() === 0 ? [] : ['--user', '--map-root-user'];
  const [command, commandArgs] =
    options.monotonicOffsetS === undefined
      ? [process.execPath, [BIN, ...args]]
      : [
          'unshare',
          [
            ...asRoot,
            '--time',
            '--monotonic',
            String(options.monotonicOffsetS),
            '--kill-child=SIGTERM',
            process.execPath,
            BIN,
            ...args,
          ],
        ];
  const child = spawn(command, commandArgs, {
    env: { ...process.env, CENTRIFUGO_BENCH_RESULTS: resultsDir, ...env, [TAG]: tag },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (err += chunk));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, tag, exit, stdout: () => out, stderr: () => err };
}

/** `coordinate <scenario> --shards n --run-id <id> --port 0 …`: the coordinator of a sharded run. */
export function coordinateArgs(scenario: string, shards: number, runId: string, rest: string[]): string[] {
  return ['coordinate', scenario, '--shards', String(shards), '--run-id', runId, '--port', '0', ...rest];
}

/** `run <scenario> --shard i/n --coordinator <url> --run-id <id> --no-thresholds --no-report …`: one shard. */
export function shardArgs(scenario: string, index: number, shards: number, url: string, runId: string, rest: string[]) {
  return [
    'run',
    scenario,
    '--shard',
    `${index}/${shards}`,
    '--coordinator',
    url,
    '--run-id',
    runId,
    '--no-thresholds',
    '--no-report',
    ...rest,
  ];
}

/** The coordinator's first stdout line is `{"url": …}` once it listens; it is killed if it never does. */
export async function coordinatorUrl(coordinator: CliProcess, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!coordinator.stdout().includes('"url"')) {
    if (Date.now() > deadline || coordinator.child.exitCode !== null) {
      coordinator.child.kill('SIGTERM');
      throw new Error(`the coordinator did not start:\n${coordinator.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return (JSON.parse(coordinator.stdout().split('\n')[0]!) as { url: string }).url;
}

export async function until(condition: () => boolean, timeoutMs: number, what: string, log?: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${log ? `:\n${log()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const readSummary = (dir: string): RunSummary =>
  JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;

/** The delivery accounting a sharded run must reproduce exactly: published, owed, delivered, lost, duplicated. */
export const deliveryCounts = (summary: RunSummary): Record<string, number> =>
  Object.fromEntries(
    ['messages_published', 'messages_expected', 'messages_delivered', 'messages_lost', 'messages_duplicated'].map(
      (name) => {
        const metric = summary.metrics[name];
        return [name, metric?.type === 'counter' ? metric.count : 0];
      },
    ),
  );

/**
 * One test file's CLI: its own temporary results folder, every process it starts remembered by tag so that
 * `assertNothingLeft` can say none of them (nor what they started) still runs.
 */
export class ShardedCliSession {
  readonly results: string;
  /** Where `stack up --name <name>` writes `<name>.json` in this session's results folder. */
  readonly stacks: string;
  private readonly tags: string[] = [];

  constructor(prefix: string) {
    this.results = mkdtempSync(path.join(os.tmpdir(), prefix));
    this.stacks = path.join(this.results, '.stacks');
  }

  cli(args: string[], env: Record<string, string> = {}, options: { monotonicOffsetS?: number } = {}): CliProcess {
    const started = startCli(this.results, args, env, options);
    this.tags.push(started.tag);
    return started;
  }

  /** A process meant to outlive the next `assertNothingLeft` (a held stack, until `stack down`). */
  exempt(held: CliProcess): void {
    this.tags.splice(this.tags.indexOf(held.tag), 1);
  }

  /** Exempted again, for the check after `stack down`. */
  include(held: CliProcess): void {
    this.tags.push(held.tag);
  }

  /** A listening coordinator and its URL. */
  async coordinate(scenario: string, shards: number, runId: string, rest: string[]) {
    const run = this.cli(coordinateArgs(scenario, shards, runId, rest));
    return { run, url: await coordinatorUrl(run) };
  }

  shard(
    scenario: string,
    index: number,
    shards: number,
    url: string,
    runId: string,
    rest: string[],
    env = {},
    options: { monotonicOffsetS?: number } = {},
  ) {
    return this.cli(shardArgs(scenario, index, shards, url, runId, rest), env, options);
  }

  /** Leftovers are checked with a little patience: a stopped process takes a moment to disappear. */
  async assertNothingLeft(): Promise<void> {
    const left = () => this.tags.flatMap((tag) => processesWithEnv(TAG, tag));
    const deadline = Date.now() + 15_000;
    while (left().length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(left(), [], 'no process a shard, the coordinator or the stack started is left');
  }

  /**
   * The single-process run's folder: the one dated run folder with a summary (`stack up` writes one with logs
   * only) — among those `mentionedBy` names on its output, when given.
   */
  singleRunDir(mentionedBy?: CliProcess): string {
    const found = readdirSync(this.results).filter(
      (name) =>
        /^\d{8}-\d{6}-[0-9a-f]{4}$/.test(name) &&
        existsSync(path.join(this.results, name, 'summary.json')) &&
        (!mentionedBy || `${mentionedBy.stdout()}${mentionedBy.stderr()}`.includes(name)),
    );
    assert.equal(found.length, 1, `one single-process run folder: ${found.join(', ')}`);
    return path.join(this.results, found[0]!);
  }

  remove(): void {
    rmSync(this.results, { recursive: true, force: true });
  }
}
