/**
 * What the sharded benchmarks share (sharded.bench.ts, sharded-push.bench.ts, sharded-fanout.bench.ts): the CLI
 * as child processes with their own results directory, one scenario run as one process and as n shard processes
 * with a coordinator that merges them, and the figures read back from summary.json. The benches drive the real
 * CLI (`run`, `coordinate`, `stack up`) so that what they measure is what a user runs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunSummary, TimeseriesPoint } from '../common/summary-types.ts';
import {
  type CliProcess,
  coordinateArgs,
  coordinatorUrl,
  readSummary,
  shardArgs,
  startCli,
} from './testing/sharded-cli.ts';

export { readSummary };

/** `--set key=value` pairs, plus the external stack a `stack up` in `resultsDir` left in its stack file. */
export function externalStackSets(resultsDir: string, sets: Array<[string, string]>, stackName = 'default'): string[] {
  return [
    ['stack.provider', 'external'],
    ['stack.stackFile', path.join(resultsDir, '.stacks', `${stackName}.json`)],
    ...sets,
  ].flatMap(([key, value]) => ['--set', `${key}=${value}`]);
}

/** A memory-engine Centrifugo held by `stack up` (no other services) until the returned function stops it. */
export async function holdMemoryStack(resultsDir: string): Promise<() => Promise<void>> {
  const up = startCli(resultsDir, ['stack', 'up', '--no-setup', '--engine', 'memory', '--services', 'none']);
  if ((await up.exit) !== 0) throw new Error('stack up failed');
  return async () => {
    await startCli(resultsDir, ['stack', 'down']).exit;
  };
}

export interface FinishedRun {
  /** The run folder with summary.json (for a sharded run: the merged one). */
  dir: string;
  /** Exit codes: the run's; for a sharded run the coordinator's (the merged verdict) then each shard's. */
  exitCodes: Array<number | null>;
}

/**
 * Kills what a run left behind once `timeoutMs` has passed, so a stuck run ends the bench instead of holding
 * the bench lock; the children's own shutdown stops their workers.
 */
function killAfter(processes: CliProcess[], timeoutMs: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGTERM');
  }, timeoutMs);
  timer.unref();
  return timer;
}

/** `run <scenario>` as one process; its folder is the one that appeared under `resultsDir` during the run. */
export async function runSingleProcess(
  resultsDir: string,
  scenario: string,
  sets: string[],
  timeoutMs = 600_000,
): Promise<FinishedRun> {
  const before = new Set(readdirSync(resultsDir));
  const run = startCli(resultsDir, ['run', scenario, '--no-thresholds', '--no-report', ...sets]);
  const timer = killAfter([run], timeoutMs);
  const exit = await run.exit;
  clearTimeout(timer);
  const name = readdirSync(resultsDir).find(
    (entry) => !before.has(entry) && existsSync(path.join(resultsDir, entry, 'summary.json')),
  );
  if (!name) throw new Error(`the single-process run wrote no summary (exit ${exit})`);
  return { dir: path.join(resultsDir, name), exitCodes: [exit] };
}

/** The same scenario as `shards` shard processes and a coordinator (`--merge`) on 127.0.0.1, merged into `runId`. */
export async function runSharded(
  resultsDir: string,
  scenario: string,
  shards: number,
  runId: string,
  sets: string[],
  timeoutMs = 600_000,
): Promise<FinishedRun> {
  const coordinator = startCli(resultsDir, coordinateArgs(scenario, shards, runId, ['--merge', ...sets]));
  const url = await coordinatorUrl(coordinator);
  const runs = Array.from({ length: shards }, (_, i) =>
    startCli(resultsDir, shardArgs(scenario, i, shards, url, runId, sets)),
  );
  const timer = killAfter([coordinator, ...runs], timeoutMs);
  const shardExits = await Promise.all(runs.map((run) => run.exit));
  const merged = await coordinator.exit;
  clearTimeout(timer);
  return { dir: path.join(resultsDir, runId), exitCodes: [merged, ...shardExits] };
}

export function counterOf(summary: RunSummary, name: string): number {
  const metric = summary.metrics[name];
  return metric?.type === 'counter' ? metric.count : 0;
}

/** A trend's field (ms for latencies), or undefined when the run recorded none. */
export function trendOf(summary: RunSummary, name: string, field: 'med' | 'p99'): number | undefined {
  const metric = summary.metrics[name];
  return metric?.type === 'trend' ? metric[field] : undefined;
}

/**
 * Generator CPU-seconds during the seconds in which deliveries arrived (the merged run's per-second points sum
 * the shards'): the cost of delivering, without start-up and the connection ramp that `generator.cpuSeconds`
 * also holds.
 */
export function deliveringCpuSeconds(dir: string): number {
  const file = path.join(dir, 'timeseries.ndjson');
  if (!existsSync(file)) return Number.NaN;
  let total = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const point = JSON.parse(line) as TimeseriesPoint;
    if ((point.counters.messages_delivered ?? 0) > 0) total += point.generator.cpu;
  }
  return total;
}
