import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../common/errors.ts';
import { log } from '../../common/log.ts';

/**
 * Images built without a registry, the measured fast path of reference/containers.md: host files (binaries,
 * the libraries `ldd` lists, data folders) archived at their own absolute paths and imported as a one-layer
 * image. Seconds, not the minutes a debootstrap rootfs takes. An image already present is reused as is.
 */
export interface RootfsImageSpec {
  /** Image name and tag, e.g. `redis:7-bookworm`. */
  image: string;
  /** What the image is, for the one line printed when it is built. */
  what: string;
  /** Host files and folders copied at the same absolute path (symlinks followed). */
  paths: string[];
  /** Executables whose shared libraries (per `ldd`) are added too. */
  executables: string[];
  /** Extra small files: absolute path in the image → content (e.g. /etc/passwd, an entry script). */
  files?: Record<string, { content: string; mode?: number }>;
  /** `--change` instructions (CMD, ENTRYPOINT, ENV, WORKDIR, USER). */
  changes?: string[];
}

/** The engine CLI that imports images (`podman` or `docker`: both take `import --change … - NAME`). */
export type EngineCli = 'podman' | 'docker';

export function imageExists(cli: EngineCli, image: string): boolean {
  return spawnSync(cli, ['image', 'inspect', image], { stdio: 'ignore' }).status === 0;
}

/** Every shared library an executable loads, as absolute paths (the loader included); none when static. */
export function sharedLibraries(executable: string): string[] {
  let output: string;
  try {
    output = execFileSync('ldd', [executable], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return []; // "not a dynamic executable": a static binary needs nothing besides itself
  }
  const libraries: string[] = [];
  for (const line of output.split('\n')) {
    const match = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (match?.[1]) libraries.push(match[1]);
  }
  return libraries;
}

/**
 * Builds `spec.image` unless present. Concurrent builders (test files run in parallel) take turns through
 * a lock file; the second finds the image present. Throws a UserError naming what is missing when a
 * source file does not exist (the image cannot be built).
 */
export function ensureRootfsImage(cli: EngineCli, spec: RootfsImageSpec): { image: string; built: boolean } {
  if (imageExists(cli, spec.image)) return { image: spec.image, built: false };
  for (const file of [...spec.paths, ...spec.executables]) {
    if (!existsSync(file)) {
      throw new UserError(
        `image ${spec.image} is missing and cannot be built: ${file} does not exist (run \`centrifugo-bench setup\`)`,
      );
    }
  }
  const libraries = spec.executables.flatMap(sharedLibraries);
  const staging = mkdtempSync(path.join(os.tmpdir(), 'cb-rootfs-'));
  const started = performance.now();
  try {
    // The folders every program expects; /tmp world-writable for services that run unprivileged.
    for (const dir of ['tmp', 'etc', 'run']) mkdirSync(path.join(staging, dir), { recursive: true });
    chmodSync(path.join(staging, 'tmp'), 0o1777);
    for (const [file, { content, mode }] of Object.entries(spec.files ?? {})) {
      const target = path.join(staging, file);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, content, { mode: mode ?? 0o644 });
    }
    // Relative to /, each at its own path; -h stores symlinked libraries as the files they point to. A path
    // inside a folder already listed is left out: the engine refuses a layer with the same path twice.
    const unique = [...new Set([...spec.paths, ...spec.executables, ...libraries].map((p) => path.resolve(p)))].sort();
    const hostPaths: string[] = [];
    for (const p of unique) if (!hostPaths.some((dir) => p.startsWith(`${dir}/`))) hostPaths.push(p);
    const listFile = path.join(os.tmpdir(), `cb-rootfs-list-${process.pid}-${Date.now()}`);
    writeFileSync(listFile, hostPaths.map((p) => path.relative('/', p)).join('\n'));
    const lockFile = path.join(os.tmpdir(), 'centrifugo-bench-image-build.lock');
    // `docker import --change` takes CMD, ENTRYPOINT, ENV, EXPOSE, ONBUILD, USER, VOLUME and WORKDIR only; Podman
    // also STOPSIGNAL. Under Docker a service then stops on SIGTERM (PostgreSQL: a smart shutdown, cut short by
    // the stop timeout) — its data goes with the container either way.
    const changes = (spec.changes ?? [])
      .filter((change) => cli !== 'docker' || !/^STOPSIGNAL\b/i.test(change))
      .flatMap((change) => ['--change', change]);
    try {
      // Under the lock: look again (another process may have built it meanwhile), then archive and import.
      const script =
        'cli=$1 image=$2 staging=$3 list=$4; shift 4; ' +
        '"$cli" image inspect "$image" >/dev/null 2>&1 && exit 0; ' +
        'tar -c -h --numeric-owner -C "$staging" . -C / -T "$list" | "$cli" import "$@" - "$image" >/dev/null';
      const result = spawnSync(
        'flock',
        [lockFile, 'sh', '-c', script, 'build', cli, spec.image, staging, listFile, ...changes],
        { encoding: 'utf8' },
      );
      if (result.status !== 0) {
        throw new UserError(
          `image ${spec.image} is missing and could not be built (${cli} import exited ${result.status}): ` +
            `${(result.stderr || '').trim().split('\n').pop()}`,
        );
      }
    } finally {
      rmSync(listFile, { force: true });
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  log.info(
    'stack',
    `built ${spec.image} locally from ${spec.what} (no registry) in ${((performance.now() - started) / 1000).toFixed(1)}s`,
  );
  return { image: spec.image, built: true };
}
