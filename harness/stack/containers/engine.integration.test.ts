/**
 * Against the real engine: Podman's API service, started with the harness's containers.conf on a private
 * socket, answers the probe; stopped, the probe says so. Skipped (with the reason) where Podman is absent.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pingSocket, podmanOnPath, probeEngine, writePodmanConf } from './engine.ts';

// The probe test starts Podman's API service itself: a Docker CLI alone (no daemon) cannot stand in for it.
const skip = podmanOnPath() ? false : 'podman is not installed (run `centrifugo-bench setup` as root)';

test('probe finds a running Podman API and reports it unreachable once stopped', {
  skip,
  timeout: 30_000,
}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cb-podman-'));
  const socket = path.join(dir, 'podman.sock');
  const service = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], {
    env: { ...process.env, CONTAINERS_CONF: writePodmanConf() },
    stdio: 'ignore',
  });
  try {
    const deadline = Date.now() + 15_000;
    while (!(await pingSocket(socket, 500)) && Date.now() < deadline) await sleep(100);
    const up = await probeEngine({ ...process.env, DOCKER_HOST: `unix://${socket}` });
    assert.equal(up.reachable, true, up.problem ?? '');
    assert.equal(up.problem, null);
  } finally {
    service.kill('SIGTERM');
    await new Promise((resolve) => service.once('exit', resolve));
  }
  const down = await probeEngine({ ...process.env, DOCKER_HOST: `unix://${socket}` });
  assert.equal(down.reachable, false);
  assert.match(down.problem ?? '', /unreachable/);
  rmSync(dir, { recursive: true, force: true });
});
