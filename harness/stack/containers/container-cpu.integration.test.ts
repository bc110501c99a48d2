/**
 * Container CPU from the containers' cgroups, against Podman on this machine: a container that burns CPU
 * shows it and an idle one does not; a container killed and started again (a new cgroup, counting from
 * zero) keeps the CPU of its earlier run. Also prints what one read costs, beside the engine API's stats
 * endpoint (the other way to get the figure). Skipped (with the reason) where no engine can be started.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { getContainerRuntimeClient } from 'testcontainers';
import { LocalRuntime } from '../local/local-runtime.ts';
import type { ContainerService } from './container-service.ts';
import { ContainersRuntime } from './containers-runtime.ts';
import { connectEngine } from './engine-service.ts';
import { ensureRootfsImage } from './rootfs-image.ts';

const skip =
  spawnSync('podman', ['--version']).status === 0 ? false : 'podman is not installed (run `centrifugo-bench setup`)';
const IMAGE = `centrifugo-bench/cpu-test:${process.pid}`;
const logsDir = mkdtempSync(path.join(os.tmpdir(), 'cb-container-cpu-'));
after(() => {
  spawnSync('podman', ['rmi', '-f', IMAGE], { stdio: 'ignore' });
  rmSync(logsDir, { recursive: true, force: true });
});

/** Polls `read` until it reaches `atLeast` or `timeoutMs` passes; returns the last value. */
async function waitFor(read: () => number, atLeast: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let value = read();
  while (value < atLeast && performance.now() < deadline) {
    await sleep(100);
    value = read();
  }
  return value;
}

test('container CPU: a burning container shows it, an idle one not; a restart adds up', {
  skip,
  timeout: 120_000,
}, async (t) => {
  const local = new LocalRuntime({ runId: `cpu-${process.pid}`, logsDir });
  try {
    const engine = await connectEngine(local);
    ensureRootfsImage(engine.cli, {
      image: IMAGE,
      what: '/bin/sh and sleep',
      paths: [],
      executables: ['/bin/sh', '/bin/sleep'],
    });
    const runtime = new ContainersRuntime(local, engine, () => IMAGE);
    const burner = await runtime.start({
      name: 'burner',
      image: IMAGE,
      command: ['/bin/sh', '-c', 'while :; do :; done'],
      // PID 1 without a SIGTERM handler: a stop waits out the timeout, so keep it short.
      stopTimeoutMs: 500,
    });
    const idle = await runtime.start({
      name: 'idle',
      image: IMAGE,
      command: ['/bin/sleep', '600'],
      stopTimeoutMs: 500,
    });
    const cpu = (service: ContainerService) => runtime.cpuSeconds()[service.name] ?? -1;

    // The machine is shared: wait for half a CPU second rather than assume a rate.
    const burnt = await waitFor(() => cpu(burner), 0.5, 30_000);
    assert.ok(burnt >= 0.5, `the burning container shows its CPU (${burnt} s)`);
    assert.ok(cpu(idle) >= 0 && cpu(idle) < 0.2, `the idle container shows (almost) none (${cpu(idle)} s)`);

    await burner.kill();
    const beforeRestart = cpu(burner);
    assert.ok(beforeRestart >= burnt, 'a killed container keeps its CPU');
    await burner.restart();
    assert.ok(cpu(burner) >= beforeRestart, 'the restarted container counts on from its earlier run');
    const later = await waitFor(() => cpu(burner), beforeRestart + 0.3, 30_000);
    assert.ok(later >= beforeRestart + 0.3, `and its new run adds to it (${beforeRestart} → ${later} s)`);

    // What a read costs: the cgroup files against the engine API's stats endpoint (one sample, no stream).
    const reads = 200;
    let started = performance.now();
    for (let i = 0; i < reads; i++) runtime.cpuSeconds();
    const cgroupMs = (performance.now() - started) / reads;
    const client = await getContainerRuntimeClient();
    const container = client.container.getById(idle.id!);
    started = performance.now();
    for (let i = 0; i < 5; i++) await container.stats({ stream: false });
    const statsMs = (performance.now() - started) / 5;
    t.diagnostic(
      `one read of every container's CPU (2 containers): cgroup files ${cgroupMs.toFixed(3)} ms; ` +
        `engine API stats of one container ${statsMs.toFixed(1)} ms`,
    );
  } finally {
    await local.close();
  }
});
