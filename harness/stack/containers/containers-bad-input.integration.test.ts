/**
 * Bad input that needs a real engine to show: an image that is missing and cannot be built or pulled, a
 * port that is taken. Each is one line and exit 2, and nothing is left running: no container of the run,
 * no API service the harness started. Skipped (with the reason) where Podman is absent.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT } from '../compose/compose-config.ts';
import { RUN_LABEL } from './container-service.ts';

const skip =
  spawnSync('podman', ['--version']).status === 0 ? false : 'podman is not installed (run `centrifugo-bench setup`)';
const results = mkdtempSync(path.join(os.tmpdir(), 'cb-containers-bad-input-'));
after(() => rmSync(results, { recursive: true, force: true }));

function stackUp(args: string[], env: NodeJS.ProcessEnv = {}) {
  const cli = path.join(REPO_ROOT, 'harness/cli/bin.mjs');
  return spawnSync(process.execPath, [cli, 'stack', 'up', '--provider', 'containers', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, CENTRIFUGO_BENCH_RESULTS: results, ...env },
  });
}

/** Run ids of the stacks started so far (each has a folder under the results root). */
function runIds(): string[] {
  return readdirSync(results).filter((name) => /^\d{8}-\d{6}-[0-9a-f]{4}$/.test(name));
}

/** No container of any run started here, and no Podman API service left by the harness process `pid`. */
function assertNothingLeft(pid: number): void {
  const api = spawnSync('pgrep', ['-f', `centrifugo-bench-podman-${pid}/`]);
  assert.notEqual(api.status, 0, 'the Podman API service the harness started is still running');
  for (const runId of runIds()) {
    const left = spawnSync('podman', ['ps', '-aq', '--filter', `label=${RUN_LABEL}=${runId}`], { encoding: 'utf8' });
    assert.equal(left.stdout.trim(), '', `containers of run ${runId} left`);
  }
}

test('an image that is missing, not buildable here and not pullable: one line, exit 2', {
  skip,
  timeout: 150_000,
}, () => {
  const result = stackUp(['--engine', 'redis', '--services', 'redis'], {
    CENTRIFUGO_BENCH_IMAGE_REDIS: 'localhost/centrifugo-bench-absent/redis:0',
  });
  assert.equal(result.status, 2, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(
    lines[0] ?? '',
    /^error: image localhost\/centrifugo-bench-absent\/redis:0 \(from \$CENTRIFUGO_BENCH_IMAGE_REDIS\) is missing and cannot be built here .* pulling it failed/,
  );
  assertNothingLeft(result.pid);
});

test('a Centrifugo port that is taken: one line, exit 2, Redis (already started) removed', {
  skip,
  timeout: 150_000,
}, async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as net.AddressInfo).port;
  try {
    const result = stackUp(['--engine', 'redis', '--services', 'redis', '--centrifugo-port', String(port)]);
    assert.equal(result.status, 2, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0] ?? '',
      new RegExp(`^error: port ${port} on 127\\.0\\.0\\.1 for Centrifugo node 1 is already in use`),
    );
    assert.ok(runIds().length > 0, 'the stack had started (its run folder exists)');
    assertNothingLeft(result.pid);
  } finally {
    taken.close();
  }
});
