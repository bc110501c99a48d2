/**
 * `run.json`: what ran, where, with which versions. The caller knows the scenario, the stack and the
 * component versions; this module adds what it can find out by itself (git, host, Node, harness version).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';
import type { RunInfo } from '../../common/summary-types.ts';

const run = promisify(execFile);

export interface RunInfoInput {
  runId: string;
  scenario: RunInfo['scenario'];
  startedAt: Date | string;
  stack: RunInfo['stack'];
  /** Component versions: centrifugo, postgres, redis, nats, clickhouse, … */
  versions: Record<string, string>;
  /** Directory whose git checkout is recorded; default the current directory. */
  cwd?: string;
}

/** HEAD commit and whether the work tree has changes (untracked files count); nulls outside a repo or without git. */
export async function gitState(cwd = process.cwd()): Promise<RunInfo['git']> {
  try {
    const options = { cwd, timeout: 5000, windowsHide: true };
    const head = await run('git', ['rev-parse', 'HEAD'], options);
    const status = await run('git', ['status', '--porcelain'], options);
    return { commit: head.stdout.trim() || null, dirty: status.stdout.trim().length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

export function hostInfo(): RunInfo['host'] {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    arch: os.arch(),
    // CPUs this process may use (respects affinity / cgroup limits where Node can see them).
    cpus: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() || 'unknown',
    memoryBytes: os.totalmem(),
  };
}

let cachedVersion: string | undefined;

/** `version` of the harness's package.json. */
export function harnessVersion(): string {
  cachedVersion ??= (
    JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return cachedVersion;
}

export async function gatherRunInfo(input: RunInfoInput): Promise<RunInfo> {
  return {
    schemaVersion: 1,
    runId: input.runId,
    scenario: input.scenario,
    startedAt: typeof input.startedAt === 'string' ? input.startedAt : input.startedAt.toISOString(),
    git: await gitState(input.cwd),
    host: hostInfo(),
    node: process.version,
    harnessVersion: harnessVersion(),
    stack: input.stack,
    versions: input.versions,
  };
}
