/**
 * Where a run's subscriber workers get the native socket reader (socket-reader.c) from: compiled on first
 * use with the machine's C compiler against the running Node's own headers, cached in the user's cache
 * (never in the clone), keyed by the source and the Node version, so every later run loads it at once.
 * The engine process calls this before it forks the workers and hands them the path.
 *
 * `workload.subscribers.reader`: 'auto' (default) uses the native reader when it builds and loads here and
 * Node's own socket reads otherwise, saying why; 'native' refuses to run without it; 'node' never uses it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../../common/errors.ts';

export const SOCKET_READERS = ['auto', 'native', 'node'] as const;
export type SocketReaderMode = (typeof SOCKET_READERS)[number];

export interface SocketReaderChoice {
  /** The built addon, when the workers read natively. */
  path: string | undefined;
  /** For the run's log: which reader, and why Node's when 'auto' fell back. */
  description: string;
}

const SOURCE = fileURLToPath(new URL('./socket-reader.c', import.meta.url));
/** Node's headers for the running binary: next to it (official builds, nvm), or the distribution's. */
const HEADER_DIRS = [
  ...new Set([
    path.resolve(path.dirname(process.execPath), '../include/node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ]),
];

let built: { path: string } | { reason: string } | undefined;

export function prepareSocketReader(mode: SocketReaderMode): SocketReaderChoice {
  if (mode === 'node') return { path: undefined, description: "socket reads: Node's (reader 'node')" };
  built ??= buildSocketReader();
  return chooseSocketReader(mode, built);
}

/** What a run with this mode reads with, given the build's outcome. */
export function chooseSocketReader(
  mode: 'auto' | 'native',
  outcome: { path: string } | { reason: string },
): SocketReaderChoice {
  if ('path' in outcome)
    return {
      path: outcome.path,
      description: 'socket reads: native, one batch per wakeup, lone server pings answered in C',
    };
  if (mode === 'native') {
    throw new UserError(
      `workload.subscribers.reader is 'native' but the native socket reader is unavailable: ${outcome.reason}; ` +
        "install a C compiler (Node's headers come with Node), or set reader to 'auto'",
    );
  }
  return { path: undefined, description: `socket reads: Node's (the native reader is unavailable: ${outcome.reason})` };
}

/** The cache directory for built addons (XDG_CACHE_HOME respected, as for the tools). */
export function nativeCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'centrifugo-bench', 'native');
}

/** Builds (or finds built) and loads the addon; `reason` says why not. Options: tests. */
export function buildSocketReader(
  options: { cacheDir?: string; compiler?: string; headerDirs?: string[] } = {},
): { path: string } | { reason: string } {
  if (process.platform !== 'linux') return { reason: `epoll is Linux-only (this is ${process.platform})` };
  const headerDirs = options.headerDirs ?? HEADER_DIRS;
  const includeDir = headerDirs.find((dir) => headersMatch(dir));
  if (!includeDir) {
    return {
      reason: `no headers of Node ${process.versions.node} and libuv ${process.versions.uv} in ${headerDirs.join(', ')}`,
    };
  }
  const source = readFileSync(SOURCE);
  const key = createHash('sha256')
    .update(source)
    .update(`${process.versions.node} ${process.arch}`)
    .digest('hex')
    .slice(0, 16);
  const target = path.join(options.cacheDir ?? nativeCacheDir(), `socket-reader-${key}.node`);
  if (!existsSync(target)) {
    mkdirSync(path.dirname(target), { recursive: true });
    // Built beside the target and renamed: two runs building at once never load a half-written file.
    const partial = `${target}.${process.pid}.partial`;
    const compiler = options.compiler ?? (process.env.CC || 'cc');
    try {
      execFileSync(compiler, ['-O2', '-shared', '-fPIC', '-I', includeDir, '-o', partial, SOURCE], {
        stdio: 'pipe',
        timeout: 60_000,
      });
      renameSync(partial, target);
    } catch (error) {
      rmSync(partial, { force: true });
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim().split('\n')[0];
      return { reason: `${compiler} failed: ${stderr || (error as Error).message}` };
    }
  }
  try {
    createRequire(import.meta.url)(target);
  } catch (error) {
    return { reason: `${target} does not load: ${(error as Error).message}` };
  }
  return { path: target };
}

/** Headers of exactly this Node and its libuv: the addon embeds libuv's handle layout, which must match the binary's. */
function headersMatch(dir: string): boolean {
  try {
    const version = (file: string, names: string[]) => {
      const text = readFileSync(path.join(dir, file), 'utf8');
      return names.map((name) => new RegExp(`#define ${name} (\\d+)`).exec(text)?.[1]).join('.');
    };
    const node = version('node_version.h', ['NODE_MAJOR_VERSION', 'NODE_MINOR_VERSION', 'NODE_PATCH_VERSION']);
    const uv = version('uv/version.h', ['UV_VERSION_MAJOR', 'UV_VERSION_MINOR', 'UV_VERSION_PATCH']);
    return node === process.versions.node.replace(/-.*$/, '') && uv === process.versions.uv;
  } catch {
    return false;
  }
}
