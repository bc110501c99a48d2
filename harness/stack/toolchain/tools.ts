import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { AbortedError, UserError } from '../../common/errors.ts';
import { CENTRIFUGO_MIN_GO, CENTRIFUGO_VERSION } from '../versions.ts';
import { cachedCentrifugoPath } from './paths.ts';

/** An external program the harness drives, and how to find, version and obtain it. */
export interface ToolSpec {
  id: ToolId;
  /** What it is, for the doctor's table. */
  label: string;
  /** Environment variable that overrides the path. */
  envVar: string;
  /** Candidate paths, in order, before PATH is searched. */
  candidates(): string[];
  /** Name searched on PATH. */
  binary: string;
  versionArgs: string[];
  parseVersion(output: string): string | undefined;
  /** Debian/Ubuntu package that provides it, when one does. */
  aptPackage?: string;
  /** How to get it, for a missing tool (one sentence). */
  howToGet: string;
}

export type ToolId =
  | 'centrifugo'
  | 'initdb'
  | 'postgres'
  | 'redis-server'
  | 'nats-server'
  | 'clickhouse-server'
  | 'prometheus'
  | 'go'
  | 'chromium'
  | 'java'
  | 'mvn';

/** Debian puts PostgreSQL's server programs in a versioned folder that is not on PATH. */
function postgresBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(root, v, 'bin'));
}

const firstMatch = (re: RegExp) => (output: string) => re.exec(output)?.[1];

export const TOOLS: Record<ToolId, ToolSpec> = {
  centrifugo: {
    id: 'centrifugo',
    label: `Centrifugo OSS (pinned v${CENTRIFUGO_VERSION})`,
    envVar: 'CENTRIFUGO_BENCH_CENTRIFUGO',
    candidates: () => [cachedCentrifugoPath()],
    binary: 'centrifugo',
    versionArgs: ['version'],
    parseVersion: firstMatch(/Centrifugo v?(\d+\.\d+\.\d+)/),
    howToGet: `run \`centrifugo-bench setup\` (builds v${CENTRIFUGO_VERSION} from its Go module into the tools cache; needs Go ≥ ${CENTRIFUGO_MIN_GO})`,
  },
  initdb: {
    id: 'initdb',
    label: 'PostgreSQL initdb',
    envVar: 'CENTRIFUGO_BENCH_INITDB',
    candidates: () => postgresBinDirs().map((d) => path.join(d, 'initdb')),
    binary: 'initdb',
    versionArgs: ['--version'],
    parseVersion: firstMatch(/\(PostgreSQL\) (\d+(?:\.\d+)*)/),
    aptPackage: 'postgresql',
    howToGet: 'run `centrifugo-bench setup` as root (apt-get install postgresql), or install PostgreSQL ≥ 13 yourself',
  },
  postgres: {
    id: 'postgres',
    label: 'PostgreSQL server',
    envVar: 'CENTRIFUGO_BENCH_POSTGRES',
    candidates: () => postgresBinDirs().map((d) => path.join(d, 'postgres')),
    binary: 'postgres',
    versionArgs: ['--version'],
    parseVersion: firstMatch(/\(PostgreSQL\) (\d+(?:\.\d+)*)/),
    aptPackage: 'postgresql',
    howToGet: 'run `centrifugo-bench setup` as root (apt-get install postgresql), or install PostgreSQL ≥ 13 yourself',
  },
  'redis-server': {
    id: 'redis-server',
    label: 'Redis server',
    envVar: 'CENTRIFUGO_BENCH_REDIS_SERVER',
    candidates: () => [],
    binary: 'redis-server',
    versionArgs: ['--version'],
    parseVersion: firstMatch(/v=(\d+\.\d+\.\d+)/),
    aptPackage: 'redis-server',
    howToGet: 'run `centrifugo-bench setup` as root (apt-get install redis-server), or install Redis ≥ 6.2 yourself',
  },
  'nats-server': {
    id: 'nats-server',
    label: 'NATS server (JetStream)',
    envVar: 'CENTRIFUGO_BENCH_NATS_SERVER',
    candidates: () => [],
    binary: 'nats-server',
    versionArgs: ['--version'],
    parseVersion: firstMatch(/v(\d+\.\d+\.\d+)/),
    aptPackage: 'nats-server',
    howToGet:
      'run `centrifugo-bench setup` as root (apt-get install nats-server), or install nats-server ≥ 2.9 yourself',
  },
  'clickhouse-server': {
    id: 'clickhouse-server',
    label: 'ClickHouse server',
    envVar: 'CENTRIFUGO_BENCH_CLICKHOUSE_SERVER',
    candidates: () => ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server'],
    binary: 'clickhouse-server',
    // 18.16 has no --version flag; the package version is read from dpkg instead (see versionOf).
    versionArgs: ['--version'],
    parseVersion: firstMatch(/version (\d+(?:\.\d+)+)/i),
    aptPackage: 'clickhouse-server',
    howToGet:
      'run `centrifugo-bench setup` as root (apt-get install clickhouse-server), or install ClickHouse yourself (any version from 18.16)',
  },
  prometheus: {
    id: 'prometheus',
    label: 'Prometheus (remote-write receiver, for --out prometheus)',
    envVar: 'CENTRIFUGO_BENCH_PROMETHEUS',
    candidates: () => [],
    binary: 'prometheus',
    versionArgs: ['--version'],
    parseVersion: firstMatch(/version (\d+\.\d+\.\d+)/),
    aptPackage: 'prometheus',
    howToGet:
      'run `centrifugo-bench setup` as root (apt-get install prometheus), or install Prometheus ≥ 2.33 yourself (it must receive remote write)',
  },
  go: {
    id: 'go',
    label: 'Go toolchain (builds Centrifugo)',
    envVar: 'CENTRIFUGO_BENCH_GO',
    candidates: () => ['/usr/local/go/bin/go'],
    binary: 'go',
    versionArgs: ['version'],
    parseVersion: firstMatch(/go(\d+\.\d+(?:\.\d+)?)/),
    howToGet: `install Go ≥ ${CENTRIFUGO_MIN_GO} from go.dev/dl (Debian bookworm's golang-go is 1.19, too old for Centrifugo v6)`,
  },
  chromium: {
    id: 'chromium',
    label: 'Chromium (headless; the tests open the HTML reports in it)',
    // Not CENTRIFUGO_BENCH_*: the report test has always read $CHROMIUM_PATH, and users may have it set.
    envVar: 'CHROMIUM_PATH',
    candidates: () => [],
    binary: 'chromium',
    versionArgs: ['--version'],
    // "Chromium 156.0.8078.114 built on Debian …", or "Google Chrome for Testing 120.0.6099.109" via $CHROMIUM_PATH.
    parseVersion: firstMatch(/Chrom(?:e|ium)\D*?(\d+(?:\.\d+)+)/),
    aptPackage: 'chromium',
    howToGet:
      'run `centrifugo-bench setup --for-tests` as root (apt-get install chromium; `npm test` does it), or install Chromium yourself',
  },
  java: {
    id: 'java',
    label: 'Java runtime ≥ 17 (Kafka and Debezium Connect, for the cdc modes)',
    envVar: 'CENTRIFUGO_BENCH_JAVA',
    candidates: () => ['/usr/lib/jvm/java-17-openjdk-amd64/bin/java', '/usr/lib/jvm/java-17-openjdk-arm64/bin/java'],
    binary: 'java',
    // `--version` prints to stdout (`-version` to stderr): "openjdk 17.0.15 2025-04-15".
    versionArgs: ['--version'],
    parseVersion: firstMatch(/(?:openjdk|java) (\d+(?:\.\d+)*)/),
    aptPackage: 'openjdk-17-jre-headless',
    howToGet:
      'run `centrifugo-bench setup` as root (apt-get install openjdk-17-jre-headless), or install a Java ≥ 17 runtime yourself',
  },
  mvn: {
    id: 'mvn',
    label: 'Maven (resolves the Kafka and Debezium jars once)',
    envVar: 'CENTRIFUGO_BENCH_MVN',
    candidates: () => [],
    binary: 'mvn',
    versionArgs: ['--version'],
    parseVersion: firstMatch(/Apache Maven (\d+\.\d+\.\d+)/),
    aptPackage: 'maven',
    howToGet: 'run `centrifugo-bench setup` as root (apt-get install maven), or install Maven ≥ 3.6 yourself',
  },
};

/** Services started by the local provider, in the order the doctor lists them. */
export const SERVICE_TOOLS: ToolId[] = [
  'centrifugo',
  'initdb',
  'postgres',
  'redis-server',
  'nats-server',
  'clickhouse-server',
  // The cdc modes' chain: Java runs Kafka and Debezium Connect, Maven resolves their jars once (kafka-jars.ts).
  'java',
  'mvn',
];

/**
 * What the test suite needs besides the services (a benchmark needs neither): a browser for the HTML-report
 * tests, and a Prometheus to read `--out prometheus` back from (a user's own Prometheus receives a real run's).
 */
export const TEST_TOOLS: ToolId[] = ['chromium', 'prometheus'];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function searchPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, binary);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

export interface FoundTool {
  id: ToolId;
  path: string;
  /** Where it came from: the override variable, the tools cache, a Debian package, or PATH. */
  source: string;
  version: string | undefined;
}

function dpkgVersion(pkg: string): string | undefined {
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${Version} placeholder
    const out = execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8', stdio: 'pipe' });
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}

function dpkgOwner(file: string): string | undefined {
  try {
    const out = execFileSync('dpkg-query', ['-S', file], { encoding: 'utf8', stdio: 'pipe' });
    return out.split(':')[0]?.trim();
  } catch {
    return undefined;
  }
}

/** Signals that stop a command (a Ctrl-C reaches the probe too: it runs in the terminal's process group). */
const STOP_SIGNALS: readonly string[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Asks a program for its version. A probe a stop signal killed says nothing about the program: that is
 * the command being stopped (AbortedError), not a missing or wrong binary.
 */
export function versionOf(spec: ToolSpec, file: string): string | undefined {
  try {
    const out = execFileSync(file, spec.versionArgs, { encoding: 'utf8', stdio: 'pipe', timeout: 10_000 });
    const version = spec.parseVersion(out);
    if (version) return version;
  } catch (error) {
    const { signal, code } = error as { signal?: string | null; code?: string };
    // Our own timeout kills with SIGTERM too, and then code is ETIMEDOUT: a hung program, not a stop.
    if (signal && STOP_SIGNALS.includes(signal) && code !== 'ETIMEDOUT') throw new AbortedError(signal);
    const out = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
    const version = spec.parseVersion(out);
    if (version) return version;
  }
  const owner = dpkgOwner(file);
  return owner ? dpkgVersion(owner)?.replace(/\+.*$/, '') : undefined;
}

/** Finds a tool without side effects; undefined when it is not installed anywhere we look. */
export function findTool(id: ToolId): FoundTool | undefined {
  const spec = TOOLS[id];
  const override = process.env[spec.envVar];
  if (override) {
    return isExecutable(override)
      ? { id, path: override, source: `$${spec.envVar}`, version: versionOf(spec, override) }
      : undefined;
  }
  const candidates = [...spec.candidates()];
  const onPath = searchPath(spec.binary);
  if (onPath) candidates.push(onPath);
  for (const file of candidates) {
    if (!isExecutable(file)) continue;
    const version = versionOf(spec, file);
    if (id === 'centrifugo' && version !== CENTRIFUGO_VERSION) continue; // only the pinned build counts
    const owner = dpkgOwner(file);
    const source = file === cachedCentrifugoPath() ? 'tools cache' : owner ? `Debian package ${owner}` : 'PATH';
    return { id, path: file, source, version };
  }
  return undefined;
}

/** Finds a tool or throws the exact way to get it (exit 2). */
export function requireTool(id: ToolId): FoundTool {
  const found = findTool(id);
  if (!found) {
    const spec = TOOLS[id];
    const override = process.env[spec.envVar];
    if (override) {
      throw new UserError(`$${spec.envVar} points to ${override}, which is not an executable file; fix it or unset it`);
    }
    throw new UserError(`${spec.label} (\`${spec.binary}\`) was not found; ${spec.howToGet}, or set $${spec.envVar}`);
  }
  return found;
}
