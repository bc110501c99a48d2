/**
 * Centrifugo from its locally built official image, through testcontainers against Podman's API:
 * config copied in, ready on /health, port published on 127.0.0.1 only, nothing left after stop.
 * Skipped (with the reason) where no engine can be started.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Wait } from 'testcontainers';
import { ensureCentrifugoImage } from './centrifugo-image.ts';
import { pingSocket, writePodmanConf } from './engine.ts';
import { LoopbackContainer, loopbackEnvironment } from './loopback-container.ts';

const skip =
  spawnSync('podman', ['--version']).status === 0 ? false : 'podman is not installed (run `centrifugo-bench setup`)';

test('Centrifugo image starts via testcontainers, healthy on a loopback-only port', {
  skip,
  timeout: 120_000,
}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cb-tc-'));
  const socket = path.join(dir, 'podman.sock');
  const service = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], {
    env: { ...process.env, CONTAINERS_CONF: writePodmanConf() },
    stdio: 'ignore',
  });
  const runLabel = `cb-test-${process.pid}`;
  try {
    const deadline = Date.now() + 15_000;
    while (!(await pingSocket(socket, 500)) && Date.now() < deadline) await sleep(100);
    loopbackEnvironment(socket);
    const { image } = ensureCentrifugoImage();
    const config = JSON.stringify({ http_server: { port: 8000 }, health: { enabled: true } });
    const started = await new LoopbackContainer(image)
      .withLabels({ 'centrifugo-bench.run': runLabel })
      .withCopyContentToContainer([{ content: config, target: '/centrifugo/config.json' }])
      .withCommand(['--config', '/centrifugo/config.json'])
      .withExposedPorts(8000)
      .withWaitStrategy(Wait.forHttp('/health', 8000))
      .withStartupTimeout(30_000)
      .start();
    try {
      const port = started.getMappedPort(8000);
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(response.status, 200);
      const inspect = spawnSync('podman', ['port', started.getId()], { encoding: 'utf8' }).stdout;
      assert.match(inspect, /127\.0\.0\.1:\d+/);
      assert.doesNotMatch(inspect, /0\.0\.0\.0/);
    } finally {
      await started.stop();
    }
    const left = spawnSync('podman', ['ps', '-aq', '--filter', `label=centrifugo-bench.run=${runLabel}`], {
      encoding: 'utf8',
    }).stdout.trim();
    assert.equal(left, '', 'no container left after stop');
  } finally {
    service.kill('SIGTERM');
    await new Promise((resolve) => service.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
});
