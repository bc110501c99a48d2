/** The engine probe: each way the containers provider cannot run gets its own one-line reason. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
