import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../common/errors.ts';
import { log } from '../../common/log.ts';
import type { LocalRuntime } from '../local/local-runtime.ts';
import { pingSocket, probeEngine, writePodmanConf } from './engine.ts';
import { loopbackEnvironment, RYUK_IMAGE } from './loopback-container.ts';
import { type EngineCli, imageExists } from './rootfs-image.ts';

/**
 * DOCKER_HOST as the user gave it. Read once, at import: `loopbackEnvironment` sets DOCKER_HOST for
 * testcontainers, which must not make the next stack of this process believe the user chose that socket.
 */
const userDockerHost = process.env.DOCKER_HOST;

/**
 * Where this process serves Podman's API when nobody does: one path per harness process, because
 * testcontainers keeps the first DOCKER_HOST it sees for the life of the process, and each stack starts
 * (and stops) its own API service there.
 */
function processSocket(): string {
  const dir = path.join(os.tmpdir(), `centrifugo-bench-podman-${process.pid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return path.join(dir, 'podman.sock');
}

export interface EngineConnection {
  socket: string;
  cli: EngineCli;
  /** e.g. "podman version 4.3.1" */
  version: string;
}

/**
 * Finds the engine and makes sure its API answers: a live socket (DOCKER_HOST, Docker's, Podman's system
 * service) is used as it is; with Podman installed and no API running, `podman system service` is started
 * as one of the stack's processes (with the harness's containers.conf), stopped with the stack and
 * killed by the reaper if the harness dies. Anything else is one line of bad input.
 */
export async function connectEngine(runtime: LocalRuntime): Promise<EngineConnection> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (userDockerHost === undefined) delete env.DOCKER_HOST;
  else env.DOCKER_HOST = userDockerHost;
  const probe = await probeEngine(env);
  const kind = probe.kind;
  if (probe.reachable && kind) {
    loopbackEnvironment(probe.socket, () => imageExists(kind, RYUK_IMAGE));
    return { socket: probe.socket, cli: kind, version: probe.version ?? kind };
  }
  const canServe = probe.kind === 'podman' && userDockerHost === undefined;
  if (!canServe) throw new UserError(`provider containers: ${probe.problem}`);

  const socket = processSocket();
  // Registered before the service: the teardown runs last-in first-out, so the folder goes once it has stopped.
  runtime.removeWithRun(path.dirname(socket));
  const service = runtime.spawn({
    name: 'podman-api',
    command: 'podman',
    args: ['system', 'service', '--time=0', `unix://${socket}`],
    env: { CONTAINERS_CONF: writePodmanConf() },
    stopTimeoutMs: 5000,
  });
  const started = performance.now();
  while (!(await pingSocket(socket, 500))) {
    if (!service.running || performance.now() - started > 15_000) {
      throw new UserError(
        `provider containers: podman system service did not answer on ${socket} within 15s; its log is ${service.logFile}`,
        { details: service.logTail() },
      );
    }
    await sleep(50);
  }
  log.info('stack', `started Podman's API on ${socket} (stopped with the stack)`);
  loopbackEnvironment(socket, () => imageExists('podman', RYUK_IMAGE));
  return { socket, cli: 'podman', version: probe.version ?? 'podman' };
}
