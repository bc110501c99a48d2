/** The engine probe: each way the containers provider cannot run gets its own one-line reason. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { engineSocket, pingSocket, probeEngine } from './engine.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cb-engine-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('DOCKER_HOST that is not a unix socket is refused with a reason', async () => {
  const probe = await probeEngine({ ...process.env, DOCKER_HOST: 'tcp://10.0.0.1:2375' });
  assert.equal(probe.reachable, false);
  assert.match(probe.problem ?? '', /not a unix:\/\/ socket/);
});

test('DOCKER_HOST naming a socket nobody serves reports the engine as unreachable', async () => {
  const socket = path.join(dir, 'absent.sock');
  assert.equal(engineSocket({ DOCKER_HOST: `unix://${socket}` }, 'podman'), socket);
  const probe = await probeEngine({ ...process.env, DOCKER_HOST: `unix://${socket}` });
  assert.equal(probe.reachable, false);
  assert.match(probe.problem ?? '', /unreachable at .*absent\.sock/);
  assert.doesNotMatch(probe.problem ?? '', /\n/);
});

test('a socket that accepts but does not speak the API is not taken for an engine', async () => {
  const socket = path.join(dir, 'mute.sock');
  const server = net.createServer((connection) => connection.end());
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  try {
    assert.equal(await pingSocket(socket, 500), false);
  } finally {
    server.close();
  }
});

/** An API on a unix socket answering /_ping and /version as an engine named by `component` does. */
async function fakeEngine(component: string, version: string): Promise<{ socket: string; close: () => void }> {
  const socket = path.join(dir, `${component.replace(/\W/g, '')}.sock`);
  const server = createServer((request, response) => {
    if (request.url === '/_ping') return response.end('OK');
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ Version: version, Components: [{ Name: component, Version: version }] }));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { socket, close: () => server.close() };
}

test('the engine is the one answering on the socket, not the CLI found first (Docker behind DOCKER_HOST)', {
  skip: !hasCli('docker') || !hasCli('podman') ? 'needs both the docker and podman CLIs' : false,
}, async () => {
  const docker = await fakeEngine('Engine', '20.10.24');
  const podman = await fakeEngine('Podman Engine', '4.3.1');
  try {
    const asDocker = await probeEngine({ DOCKER_HOST: `unix://${docker.socket}` });
    assert.equal(asDocker.kind, 'docker');
    assert.equal(asDocker.version, 'Docker Engine 20.10.24');
    assert.equal(asDocker.reachable, true);
    const asPodman = await probeEngine({ DOCKER_HOST: `unix://${podman.socket}` });
    assert.equal(asPodman.kind, 'podman');
  } finally {
    docker.close();
    podman.close();
  }
});

function hasCli(binary: string): boolean {
  return spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;
}
