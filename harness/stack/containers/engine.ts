import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

/**
 * Finding the container engine the `containers` provider would drive: Docker or Podman's
 * Docker-compatible API, reached through a unix socket (DOCKER_HOST when set).
 * Measured recipe for this project's machines: /work/shared/reference/containers.md.
 */

/** What `doctor` prints and the provider checks before doing anything. */
export interface EngineProbe {
  /** Which engine binary was found on PATH (null when none). */
  kind: 'docker' | 'podman' | null;
  /** The engine binary's version line, e.g. "podman version 4.3.1". */
  version: string | null;
  /** The API socket the provider would talk to. */
  socket: string;
  /** Whether the API answered `/_ping` with OK. */
  reachable: boolean;
  /** One line: why the provider cannot run (null when it can). */
  problem: string | null;
  /** Podman without a live API socket: the provider serves the API itself, one service per stack. */
  servedPerStack: boolean;
}

/** Podman's rootful API socket, the one `podman system service` serves by default. */
export const PODMAN_ROOT_SOCKET = '/run/podman/podman.sock';
const DOCKER_ROOT_SOCKET = '/var/run/docker.sock';

/**
 * The Podman configuration measured to work here: without it containers fail with rc 126
 * (crun cannot raise RLIMIT_NOFILE; crun does not support hybrid cgroups). nofile 20000 is the most
 * the engine may grant without CAP_SYS_RESOURCE.
 */
export const PODMAN_CONF = `[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`;

/** Where the harness keeps its containers.conf (shared by every clone, like the tools cache). */
export function podmanConfPath(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'centrifugo-bench', 'containers.conf');
}

/** Writes the containers.conf above when missing or different; returns its path (for CONTAINERS_CONF). */
export function writePodmanConf(): string {
  const file = podmanConfPath();
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  if (current !== PODMAN_CONF) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, PODMAN_CONF);
  }
  return file;
}

/** The socket path DOCKER_HOST names, or the default socket of the engine found. */
export function engineSocket(env: NodeJS.ProcessEnv, kind: EngineProbe['kind']): string | { invalid: string } {
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost) {
    if (!dockerHost.startsWith('unix://')) return { invalid: dockerHost };
    return dockerHost.slice('unix://'.length);
  }
  return kind === 'podman' || !fs.existsSync(DOCKER_ROOT_SOCKET) ? PODMAN_ROOT_SOCKET : DOCKER_ROOT_SOCKET;
}

function binaryVersion(binary: string): string | null {
  try {
    return (
      execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
        .trim()
        .split('\n')[0] ?? null
    );
  } catch {
    return null;
  }
}

/** Whether the Podman CLI is installed (it needs no daemon: the provider can serve its API per stack). */
export function podmanOnPath(): boolean {
  return binaryVersion('podman') !== null;
}

/**
 * Whether `setup` should install Podman: no Podman CLI and no engine answering on the socket. A Docker CLI
 * alone is not an engine (this project's machines ship one without a daemon), and a DOCKER_HOST the user set
 * is their engine: if it is down, `doctor` says so, and installing Podman beside it would not help.
 */
export async function containerEngineMissing(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (podmanOnPath() || env.DOCKER_HOST) return false;
  return !(await probeEngine(env)).reachable;
}

/** GET /_ping on the socket; resolves true on a 200 "OK", false on anything else within the timeout. */
export function pingSocket(socket: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    // No keep-alive agent: a probe must not leave a socket open that keeps the process alive.
    const options = { socketPath: socket, path: '/_ping', timeout: timeoutMs, agent: false };
    const request = http.get(options, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve(response.statusCode === 200 && body.trim() === 'OK'));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
    // A peer that hangs up without answering may end the request with neither response nor error.
    request.on('close', () => resolve(false));
  });
}

/** Which engine serves the API on `socket` (`/version`: Podman names a "Podman Engine" component), and its version. */
function engineAt(socket: string): Promise<{ kind: 'podman' | 'docker'; version: string } | null> {
  return new Promise((resolve) => {
    const request = http.get({ socketPath: socket, path: '/version', timeout: 2000, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => {
        try {
          const info = JSON.parse(body) as { Version?: string; Components?: { Name?: string; Version?: string }[] };
          const podman = info.Components?.find((c) => /podman/i.test(c.Name ?? ''));
          resolve(
            podman
              ? { kind: 'podman', version: `podman version ${podman.Version ?? info.Version ?? '?'}` }
              : { kind: 'docker', version: `Docker Engine ${info.Version ?? '?'}` },
          );
        } catch {
          resolve(null);
        }
      });
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(null));
    request.on('close', () => resolve(null));
  });
}

/**
 * Looks for an engine and asks its API whether it is up. Podman is preferred when both CLIs exist:
 * a Docker CLI alone (no daemon) is common on machines like this project's.
 */
export async function probeEngine(env: NodeJS.ProcessEnv = process.env): Promise<EngineProbe> {
  const podmanVersion = binaryVersion('podman');
  const dockerVersion = podmanVersion ? null : binaryVersion('docker');
  const kind: EngineProbe['kind'] = podmanVersion ? 'podman' : dockerVersion ? 'docker' : null;
  const version = podmanVersion ?? dockerVersion;
  const socket = engineSocket(env, kind);
  if (typeof socket !== 'string') {
    return {
      kind,
      version,
      socket: socket.invalid,
      reachable: false,
      problem: `DOCKER_HOST=${socket.invalid} is not a unix:// socket; the containers provider only talks to a local engine`,
      servedPerStack: false,
    };
  }
  const reachable = fs.existsSync(socket) && (await pingSocket(socket));
  if (reachable) {
    // The engine is the one that answers, not the CLI found first: with both CLIs installed, DOCKER_HOST may be a
    // Docker daemon, and images must then be built with the docker CLI into its store (Podman's would be unseen).
    const answering = await engineAt(socket);
    if (answering && answering.kind !== kind && binaryVersion(answering.kind)) {
      return {
        kind: answering.kind,
        version: answering.version,
        socket,
        reachable,
        problem: null,
        servedPerStack: false,
      };
    }
  }
  let problem: string | null = null;
  // Podman needs no daemon: with no API socket live, the provider runs `podman system service` itself.
  const servedPerStack = !reachable && kind === 'podman' && !env.DOCKER_HOST;
  if (!reachable && !servedPerStack) {
    if (kind === null && !env.DOCKER_HOST) {
      problem = 'no container engine found (neither podman nor docker on PATH); run `centrifugo-bench setup` as root';
    } else {
      problem = `container engine unreachable at ${socket} (no answer to /_ping); start it or set DOCKER_HOST`;
    }
  }
  return { kind, version, socket, reachable, problem, servedPerStack };
}
