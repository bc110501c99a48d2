/**
 * `--provider containers` end to end against Podman on this machine, through the CLI as a user runs it:
 * the smoke scenario, one `compare` cell with a consumer mode (PostgreSQL outbox), a small push flood —
 * each must pass its thresholds (exit 0) — and the faults a scenario injects, mapped to container
 * operations. Images are built once (under a lock) and shared by every test and test file.
 * Skipped (with the reason) only where no container engine can be started.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT } from '../compose/compose-config.ts';
import { withStack } from '../testing.ts';

const skip =
  spawnSync('podman', ['--version']).status === 0
    ? false
    : 'no container engine can be started here: podman is not installed (run `centrifugo-bench setup` as root)';
const results = mkdtempSync(path.join(os.tmpdir(), 'cb-containers-provider-'));
after(() => rmSync(results, { recursive: true, force: true }));

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'harness/cli/bin.mjs'), ...args], {
    encoding: 'utf8',
    timeout: 280_000,
    env: { ...process.env, CENTRIFUGO_BENCH_RESULTS: results },
  });
  return { ...result, output: `${result.stdout}\n${result.stderr}` };
}

test('the smoke scenario passes with --provider containers', { skip, timeout: 300_000 }, () => {
  const run = cli(['run', 'scenarios/smoke.ts', '--set', 'stack.provider=containers']);
  assert.equal(run.status, 0, run.output);
  assert.match(run.output, /starting containers stack/);
  assert.match(run.output, /PASSED/);
});

test('one compare cell through the outbox (PostgreSQL consumer) passes with --provider containers', {
  skip,
  timeout: 300_000,
}, () => {
  const run = cli(
    ['compare', 'scenarios/compare.ts', '--modes', 'outbox', '--room-sizes', '100', '--engines', 'memory'].concat([
      '--set',
      'stack.provider=containers',
      '--set',
      'workload.publishers.duration=10s',
      '--set',
      'workload.drain=5s',
    ]),
  );
  assert.equal(run.status, 0, run.output);
  assert.match(run.output, /memory\s+100\s+outbox\s+.*\s0 \/ 200\s*$/m, 'nothing lost of 200 expected deliveries');
});

test('a small push flood passes with --provider containers: ledger balanced', { skip, timeout: 300_000 }, () => {
  const run = cli(
    ['run', 'scenarios/push-flood.ts', '--set', 'stack.provider=containers'].concat([
      '--set',
      'push.pushes.total=2000',
      '--set',
      'push.devices.count=500',
      '--set',
      'push.devices.topics.count=10',
    ]),
  );
  assert.equal(run.status, 0, run.output);
  assert.match(run.output, /enqueued=2,000 delivered=2,000 failed=0 queued=0 unaccounted=0/);
});

/** PING → PONG on a Redis URL within `timeoutMs`; false when it does not answer in time. */
function redisAnswers(url: string, timeoutMs: number): Promise<boolean> {
  const { hostname, port, password } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write(`AUTH ${decodeURIComponent(password)}\r\nPING\r\n`));
    socket.on('data', (chunk) => {
      if (chunk.toString().includes('+PONG')) done(true);
    });
  });
}

test('faults map to containers: kill and start a Centrifugo node, pause and resume Redis', {
  skip,
  timeout: 180_000,
}, async () => {
  await withStack({ provider: 'containers', engine: 'redis', nodes: 2 }, async (stack) => {
    const [first, second] = stack.endpoints.centrifugo.nodes;
    const health = (url: string) =>
      fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.status,
        () => 0,
      );
    await stack.faults.killCentrifugoNode(0);
    assert.equal(await health(first!.httpUrl), 0, 'node 1 is down');
    assert.equal(await health(second!.httpUrl), 200, 'node 2 still serves');
    await stack.faults.startCentrifugoNode(0);
    assert.equal(await health(first!.httpUrl), 200, 'node 1 is back on its port');

    const redis = stack.endpoints.redis!.url;
    await stack.faults.pauseService('redis');
    assert.equal(await redisAnswers(redis, 1000), false, 'a paused Redis does not answer');
    await stack.faults.resumeService('redis');
    assert.equal(await redisAnswers(redis, 5000), true, 'a resumed Redis answers');

    // A fault is not a crash: the stack did not report one.
    const crashed = await Promise.race([stack.crashed, new Promise((r) => setTimeout(() => r('none'), 200))]);
    assert.equal(crashed, 'none');
  });
});
