/**
 * Nothing outlives a containers stack: `stack up --provider containers --foreground` (Redis + two Centrifugo
 * nodes, the harness's own Podman API service), then the harness is SIGKILLed — the reaper removes every
 * container, network and volume labelled with the run id and stops the API service — or SIGINTed — the
 * teardown does. Skipped (with the reason) where Podman is absent.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '../compose/compose-config.ts';
import { RUN_LABEL } from './container-service.ts';

const skip =
  spawnSync('podman', ['--version']).status === 0 ? false : 'podman is not installed (run `centrifugo-bench setup`)';
const results = mkdtempSync(path.join(os.tmpdir(), 'cb-reaper-test-'));
after(() => rmSync(results, { recursive: true, force: true }));

/** Starts the stack in a harness process of its own; resolves with the process and the run id once it is up. */
async function startHarness(name: string): Promise<{ harness: ChildProcess; runId: string }> {
  const harness = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'harness/cli/bin.mjs'), 'stack', 'up', '--provider', 'containers', '--foreground'].concat([
      '--engine',
      'redis',
      '--nodes',
      '2',
      '--services',
      'redis',
      '--name',
      name,
    ]),
    { env: { ...process.env, CENTRIFUGO_BENCH_RESULTS: results }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  harness.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  harness.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const runId = /run id (\S+)/.exec(output)?.[1];
    if (runId) return { harness, runId };
    if (harness.exitCode !== null) break;
    await sleep(100);
  }
  harness.kill('SIGKILL');
  throw new Error(`the stack did not come up:\n${output}`);
}

function leftovers(runId: string): string[] {
  const label = `label=${RUN_LABEL}=${runId}`;
  const list = (args: string[]) =>
    spawnSync('podman', args, { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map((line) => `${args[0]} ${line}`);
  return [
    ...list(['ps', '-aq', '--filter', label]),
    ...list(['network', 'ls', '-q', '--filter', label]),
    ...list(['volume', 'ls', '-q', '--filter', label]),
  ];
}

/** The API service the harness started for itself, or its socket folder (both name the harness's pid). */
function apiServiceRunning(harnessPid: number): boolean {
  return (
    spawnSync('pgrep', ['-f', `centrifugo-bench-podman-${harnessPid}/`]).status === 0 ||
    existsSync(path.join(os.tmpdir(), `centrifugo-bench-podman-${harnessPid}`))
  );
}

async function waitForNothingLeft(runId: string, harnessPid: number, withinMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if (leftovers(runId).length === 0 && !apiServiceRunning(harnessPid)) return Date.now() - started;
    await sleep(200);
  }
  assert.deepEqual(leftovers(runId), [], 'containers, networks or volumes left');
  assert.equal(apiServiceRunning(harnessPid), false, 'the Podman API service the harness started is still running');
  return Date.now() - started;
}

test('SIGKILL of the harness: the reaper removes every labelled container and stops the API service', {
  skip,
  timeout: 180_000,
}, async (t) => {
  const { harness, runId } = await startHarness('reaper-kill');
  assert.equal(leftovers(runId).length, 3, 'redis and two Centrifugo nodes run, labelled with the run id');
  harness.kill('SIGKILL');
  const tookMs = await waitForNothingLeft(runId, harness.pid!, 20_000);
  t.diagnostic(`everything removed ${(tookMs / 1000).toFixed(1)} s after SIGKILL`);
});

test('SIGINT of the harness: the teardown removes everything before the harness exits', {
  skip,
  timeout: 180_000,
}, async () => {
  const { harness, runId } = await startHarness('reaper-int');
  const exited = new Promise<number | null>((resolve) => harness.once('exit', (code) => resolve(code)));
  harness.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 0, 'Ctrl-C is how a foreground stack stops: exit 0');
  assert.deepEqual(leftovers(runId), []);
  assert.equal(apiServiceRunning(harness.pid!), false);
});
