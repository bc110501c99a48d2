import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../common/errors.ts';
import { log } from '../../common/log.ts';
import { cachedEcdhHelperPath, ecdhHelperSource } from '../../sut/push-relay/index.ts';
import { containerEngineMissing } from '../containers/engine.ts';
import { CENTRIFUGO_MIN_GO, CENTRIFUGO_MODULE, CENTRIFUGO_VERSION } from '../versions.ts';
import { findCdcJars, resolveCdcJars } from './kafka-jars.ts';
import { cachedCentrifugoPath, toolsCacheDir } from './paths.ts';
import { findTool, requireTool, SERVICE_TOOLS, TOOLS, type ToolId } from './tools.ts';

interface RunResult {
  code: number;
  output: string;
}

/** Runs a command, keeping the last 64 KiB of its output; a ticking line shows progress of long steps. */
async function run(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; progress?: string } = {},
): Promise<RunResult> {
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-65_536);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const ticker = options.progress
    ? setInterval(() => {
        log.info('setup', `${options.progress} … ${((performance.now() - started) / 1000).toFixed(0)}s`);
      }, 10_000)
    : undefined;
  try {
    const code = await new Promise<number>((resolve) => {
      child.once('error', (error) => {
        output += error.message;
        resolve(127);
      });
      child.once('close', (c) => resolve(c ?? 1));
    });
    return { code, output };
  } finally {
    if (ticker) clearInterval(ticker);
  }
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** apt-get, as root directly or through passwordless sudo; undefined when neither is possible. */
async function aptRunner(): Promise<string[] | undefined> {
  if (!existsSync('/usr/bin/apt-get')) return undefined;
  if (process.getuid?.() === 0) return [];
  const sudo = await run('sudo', ['-n', 'true']);
  return sudo.code === 0 ? ['sudo', '-n'] : undefined;
}

/**
 * Installs the Debian packages of missing services. Package maintainer scripts would start system-wide
 * services (a Redis on 6379, …); a temporary policy-rc.d forbids that, because the harness starts its
 * own instances on free ports and nothing else should listen.
 */
async function installPackages(packages: string[]): Promise<void> {
  const prefix = await aptRunner();
  if (!prefix) {
    throw new UserError(
      `missing system packages: ${packages.join(', ')}; install them with ` +
        `\`sudo apt-get install -y ${packages.join(' ')}\` (setup needs root or passwordless sudo to do it)`,
    );
  }
  const policy = '/usr/sbin/policy-rc.d';
  const placedPolicy = prefix.length === 0 && !existsSync(policy);
  if (placedPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const [cmd, ...pre] = prefix.length ? prefix : ['apt-get'];
    const aptArgs = (args: string[]) => (prefix.length ? [...pre, 'apt-get', ...args] : args);
    log.info('setup', `apt-get update (for ${packages.join(', ')})`);
    const update = await run(cmd!, aptArgs(['update', '-q']), { progress: 'apt-get update' });
    if (update.code !== 0)
      throw new UserError('apt-get update failed', { details: update.output.split('\n').slice(-10) });
    log.info('setup', `apt-get install ${packages.join(' ')}`);
    const install = await run(cmd!, aptArgs(['install', '-y', '-q', '--no-install-recommends', ...packages]), {
      env: { DEBIAN_FRONTEND: 'noninteractive' },
      progress: `apt-get install ${packages.join(' ')}`,
    });
    if (install.code !== 0) {
      throw new UserError(`apt-get install ${packages.join(' ')} failed`, {
        details: install.output.split('\n').slice(-15),
      });
    }
  } finally {
    if (placedPolicy) rmSync(policy, { force: true });
  }
}

/** A lock folder so that parallel `setup` calls (parallel test files, two terminals) build once. */
async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(toolsCacheDir(), `${name}.lock`);
  mkdirSync(toolsCacheDir(), { recursive: true });
  const started = Date.now();
  while (true) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 30 minutes belongs to a setup that died.
      if (Date.now() - started > 30 * 60_000) rmSync(lock, { recursive: true, force: true });
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Builds the pinned Centrifugo from its Go module into the tools cache, with the version stamped in
 * through ldflags (a plain build reports 0.0.0 in its connect replies and metrics).
 *
 * `go install module@version` is tried first. Some module proxies refuse the version list that `go
 * install` reads for its deprecation check while serving the version itself; then the same module is
 * built with `go build` from a scratch module, which needs only the version.
 */
async function buildCentrifugo(): Promise<string> {
  const go = findTool('go');
  if (!go?.version || compareVersions(go.version, CENTRIFUGO_MIN_GO) < 0) {
    throw new UserError(
      `Centrifugo v${CENTRIFUGO_VERSION} is not built yet and needs Go ≥ ${CENTRIFUGO_MIN_GO} ` +
        `(found: ${go ? `go ${go.version} at ${go.path}` : 'none'}); ${TOOLS.go.howToGet}, or set ` +
        `$CENTRIFUGO_BENCH_CENTRIFUGO to a centrifugo v${CENTRIFUGO_VERSION} binary`,
    );
  }
  const target = cachedCentrifugoPath();
  const targetDir = path.dirname(target);
  const work = `${targetDir}.build-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const ldflags = `-X ${CENTRIFUGO_MODULE}/internal/build.Version=${CENTRIFUGO_VERSION}`;
  const env = { GOBIN: work, GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' };
  const started = performance.now();
  log.info(
    'setup',
    `building Centrifugo v${CENTRIFUGO_VERSION} with ${go.path} (go ${go.version}); about 2–4 minutes once`,
  );
  const progress = `building Centrifugo v${CENTRIFUGO_VERSION}`;
  let result = await run(
    go.path,
    ['install', '-trimpath', '-ldflags', ldflags, `${CENTRIFUGO_MODULE}@v${CENTRIFUGO_VERSION}`],
    {
      env,
      progress,
    },
  );
  if (result.code !== 0) {
    log.info('setup', 'go install could not resolve the module; building it from a scratch module instead');
    const scratch = path.join(work, 'src');
    mkdirSync(scratch, { recursive: true });
    const steps: string[][] = [
      ['mod', 'init', 'centrifugo-bench-build'],
      ['get', `${CENTRIFUGO_MODULE}@v${CENTRIFUGO_VERSION}`],
      ['build', '-trimpath', '-ldflags', ldflags, '-o', path.join(work, 'centrifugo'), CENTRIFUGO_MODULE],
    ];
    for (const args of steps) {
      result = await run(go.path, args, { env, cwd: scratch, progress });
      if (result.code !== 0) {
        result.output = `go ${args.join(' ')}\n${result.output}`;
        break;
      }
    }
  }
  if (result.code !== 0 || !existsSync(path.join(work, 'centrifugo'))) {
    rmSync(work, { recursive: true, force: true });
    throw new UserError(`building Centrifugo v${CENTRIFUGO_VERSION} failed (go exited ${result.code})`, {
      details: result.output.trimEnd().split('\n').slice(-15),
      exitCode: 1,
    });
  }
  rmSync(targetDir, { recursive: true, force: true });
  mkdirSync(path.dirname(targetDir), { recursive: true });
  rmSync(path.join(work, 'src'), { recursive: true, force: true });
  renameSync(work, targetDir); // atomic: a half-built binary is never found
  log.info(
    'setup',
    `built Centrifugo v${CENTRIFUGO_VERSION} in ${((performance.now() - started) / 1000).toFixed(0)}s → ${target}`,
  );
  return target;
}

/**
 * Builds the push relay's ECDH helper (harness/sut/push-relay/ecdh-helper, Go's standard library only: no module
 * download) into the tools cache, in a folder named after its source's hash, so a changed source rebuilds. Not
 * fatal: without it the relay does its Web Push ECDH on node:crypto, slower, and says so.
 */
async function buildEcdhHelper(): Promise<void> {
  const target = cachedEcdhHelperPath(toolsCacheDir());
  if (existsSync(target)) return;
  const go = findTool('go');
  if (!go) {
    log.warn('setup', `no Go: the push relay's ECDH helper is not built (the relay uses node:crypto instead)`);
    return;
  }
  const targetDir = path.dirname(target);
  const work = `${targetDir}.build-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const result = await run(go.path, ['build', '-trimpath', '-o', path.join(work, 'ecdh-helper'), '.'], {
    cwd: ecdhHelperSource().dir,
    // GOTOOLCHAIN=local: the go.mod's `go 1.20` (crypto/ecdh's first release) never asks for a toolchain download.
    env: { CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false', GOTOOLCHAIN: 'local' },
  });
  if (result.code !== 0 || !existsSync(path.join(work, 'ecdh-helper'))) {
    rmSync(work, { recursive: true, force: true });
    log.warn('setup', `building the push relay's ECDH helper failed (go exited ${result.code}); node:crypto instead`);
    for (const line of result.output.trimEnd().split('\n').slice(-10)) log.warn('setup', line);
    return;
  }
  rmSync(targetDir, { recursive: true, force: true });
  renameSync(work, targetDir); // atomic: a half-built binary is never found
  log.info('setup', `built the push relay's ECDH helper → ${target}`);
}

export interface SetupOptions {
  /** Limit setup to these tools (default: every service tool). */
  only?: ToolId[];
  /**
   * Also a container engine for the containers provider (Podman + runc) when none can run here. The `setup`
   * command asks for it; a run's own tool check does not (it never installs an engine behind a user's back).
   */
  containerEngine?: boolean;
}

/** The Debian packages `setup` would install for these tools: those of the missing ones, without duplicates. */
export function missingPackages(wanted: readonly ToolId[]): string[] {
  const packages = new Set<string>();
  for (const id of wanted) {
    const spec = TOOLS[id];
    // A tool pinned by its environment variable is the user's choice: never install over it.
    if (process.env[spec.envVar]) continue;
    if (!findTool(id) && spec.aptPackage) packages.add(spec.aptPackage);
  }
  return [...packages];
}

/** Gets whatever is missing; a second call with everything present returns at once. */
export async function setup(options: SetupOptions = {}): Promise<void> {
  const wanted = options.only ?? SERVICE_TOOLS;
  const packages = missingPackages(wanted);
  // The containers provider (and its tests) need an engine: Podman + runc from the system packages when
  // neither Podman nor Docker exists (runc, not crun: crun fails on this kind of machine's hybrid cgroups).
  if (options.containerEngine && (await containerEngineMissing())) packages.push('podman', 'runc');
  if (packages.length > 0) await installPackages(packages);
  for (const id of wanted) {
    if (id === 'centrifugo' || findTool(id) || process.env[TOOLS[id].envVar]) continue;
    throw new UserError(`${TOOLS[id].label} is still missing after setup; ${TOOLS[id].howToGet}`);
  }
  if (wanted.includes('centrifugo') && !findTool('centrifugo') && !process.env[TOOLS.centrifugo.envVar]) {
    await withLock('centrifugo-build', async () => {
      if (!findTool('centrifugo')) await buildCentrifugo();
    });
  }
  // Whenever the service tools are asked for (setup; setup --for-tests, which npm test runs on a clean clone).
  if (wanted.includes('centrifugo') && !existsSync(cachedEcdhHelperPath(toolsCacheDir()))) {
    await withLock('ecdh-helper-build', buildEcdhHelper);
  }
  // Maven is there for one thing: the cdc modes' jars, resolved once into the tools cache.
  if (wanted.includes('mvn') && !findCdcJars()) {
    await withLock('cdc-jars', async () => {
      if (findCdcJars()) return;
      const started = performance.now();
      const jars = await resolveCdcJars(requireTool('mvn').path, run);
      log.info(
        'setup',
        `resolved ${jars.jarCount} jars (Kafka ${jars.kafkaVersion}, Debezium ${jars.debeziumVersion}) in ` +
          `${((performance.now() - started) / 1000).toFixed(0)}s → ${jars.dir}`,
      );
    });
  }
}
