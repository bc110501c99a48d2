/**
 * Baselines as files a team commits: one folder per scenario and baseline name,
 *
 *   baselines/<scenario>/<name>/history.ndjson   every saved entry, one JSON line each, append-only
 *   baselines/<scenario>/<name>/current.json     the entry `gate` compares with, whole, pretty-printed
 *
 * An entry is k runs of one build on one kind of machine reduced to their values per metric (run-values.ts),
 * with what they measured (identity.ts), the machine's fingerprint, the git commit, the harness and
 * component versions. Append-only lines diff well in git and keep the order of saves, which the change-point
 * detection reads as a time series; current.json is what a reviewer looks at.
 *
 * The rule for `save`: the new entry becomes current (the usual CI recipe saves after each merge to main),
 * unless `promote: false`; `promote` makes any earlier entry current again. A name keeps one identity: saving
 * runs of a changed scenario under it is refused (naming the difference) — use another name.
 */
import { appendFile, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../common/errors.ts';
import { median } from '../../common/median.ts';
import { newRunId } from '../../common/run-id.ts';
import type { RunInfo } from '../../common/summary-types.ts';
import { RUN_METRICS, type RunValues, readRunValues } from '../run-values.ts';
import { checkComparable, type StoredBaseline } from './comparable.ts';
import {
  describeDifferences,
  type HostFingerprint,
  hostFingerprint,
  identityHash,
  type RunIdentity,
  runIdentity,
} from './identity.ts';

export { checkComparable, type StoredBaseline };

export const DEFAULT_BASELINES_DIR = 'baselines';
export const DEFAULT_BASELINE_NAME = 'default';
export const BASELINE_FILES = { history: 'history.ndjson', current: 'current.json' } as const;

/** One run of an entry: its values, not its files. */
export interface StoredRun {
  runId: string;
  startedAt: string;
  values: Record<string, number | null>;
  failedThresholds: string[];
}

export interface BaselineEntry {
  /** `<yyyymmdd-hhmmss>-<4 hex>`, like a run id. */
  id: string;
  savedAt: string;
  scenario: string;
  name: string;
  identityHash: string;
  identity: RunIdentity;
  host: HostFingerprint;
  git: RunInfo['git'];
  harnessVersion: string;
  versions: Record<string, string>;
  runs: StoredRun[];
  /** Median over the runs per metric (null: no run has it). */
  medians: Record<string, number | null>;
}

export interface StoreOptions {
  /** The baselines folder (default `baselines`). */
  dir?: string;
}

const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;

export function entryMedians(runs: readonly StoredRun[]): Record<string, number | null> {
  const ids = [...new Set([...RUN_METRICS.map((spec) => spec.id), ...runs.flatMap((run) => Object.keys(run.values))])];
  return Object.fromEntries(
    ids.map((id) => [id, median(runs.flatMap((run) => (typeof run.values[id] === 'number' ? [run.values[id]] : [])))]),
  );
}

export function baselineFolder(scenario: string, name: string, options: StoreOptions = {}): string {
  return path.resolve(options.dir ?? DEFAULT_BASELINES_DIR, scenario, name);
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => null))?.isDirectory() ?? false;
}

async function readTextOrNull(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The entries of a baseline folder, oldest first. */
export async function readHistory(folder: string): Promise<BaselineEntry[]> {
  const file = path.join(folder, BASELINE_FILES.history);
  const text = (await readTextOrNull(file)) ?? '';
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line, i) => {
      try {
        return JSON.parse(line) as BaselineEntry;
      } catch (error) {
        throw new UserError(`${file}:${i + 1} is not valid JSON (${(error as Error).message}); fix or remove the line`);
      }
    });
}

export async function readCurrent(folder: string): Promise<BaselineEntry | null> {
  const file = path.join(folder, BASELINE_FILES.current);
  const text = await readTextOrNull(file);
  if (text === null) return null;
  try {
    return JSON.parse(text) as BaselineEntry;
  } catch (error) {
    throw new UserError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

async function writeCurrent(folder: string, entry: BaselineEntry): Promise<void> {
  const file = path.join(folder, BASELINE_FILES.current);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(entry, null, 2)}\n`, 'utf8');
  await rename(temporary, file);
}

export interface SaveOptions extends StoreOptions {
  name?: string;
  /** Make the new entry current (default true; the first entry of a name always is). */
  promote?: boolean;
  now?: Date;
}

export interface SaveResult {
  entry: BaselineEntry;
  folder: string;
  current: boolean;
}

/** One build's runs on one machine: the same identity, host, commit and versions, every run valid. */
function entryFromRuns(runs: readonly RunValues[], name: string, now: Date): BaselineEntry {
  const invalid = runs.filter((run) => !run.valid);
  if (invalid.length) {
    throw new UserError(
      `not saving invalid runs as a baseline: ${invalid.map((run) => `${run.dir ?? run.runId} (${run.invalidReasons.join('; ') || 'marked invalid'})`).join(', ')}`,
    );
  }
  const withoutInfo = runs.filter((run) => !run.info);
  if (withoutInfo.length) {
    throw new UserError(
      `${withoutInfo.map((run) => run.dir ?? run.runId).join(', ')} has no run.json: what it measured cannot be identified, so it cannot be a baseline`,
    );
  }
  const first = runs[0]!;
  const info = first.info!;
  const identity = runIdentity(info)!;
  const host = hostFingerprint(info)!;
  // What must agree for runs to be one baseline: what they measured, where, and which build.
  const shapeOf = (run: RunValues) => ({
    ...runIdentity(run.info),
    host: hostFingerprint(run.info),
    versions: run.info?.versions,
    gitCommit: run.info?.git.commit,
  });
  for (const run of runs.slice(1)) {
    const differences = describeDifferences(shapeOf(first), shapeOf(run), [`in ${first.runId}`, `in ${run.runId}`]);
    if (differences.length) {
      throw new UserError(
        `runs ${first.runId} and ${run.runId} are not one baseline (one build, one scenario, one kind of machine): ${differences.join('; ')}`,
      );
    }
  }
  const stored = runs.map((run) => ({
    runId: run.runId,
    startedAt: run.startedAt,
    values: run.values,
    failedThresholds: run.failedThresholds,
  }));
  return {
    id: newRunId(now),
    savedAt: now.toISOString(),
    scenario: first.scenario,
    name,
    identityHash: identityHash(identity),
    identity,
    host,
    git: info.git,
    harnessVersion: info.harnessVersion,
    versions: info.versions,
    runs: stored,
    medians: entryMedians(stored),
  };
}

/** `baseline save`: reads the runs, refuses what cannot be one baseline, appends the entry. */
export async function saveBaseline(runDirs: readonly string[], options: SaveOptions = {}): Promise<SaveResult> {
  if (!runDirs.length) throw new UserError('baseline save: give at least one run directory');
  const name = options.name ?? DEFAULT_BASELINE_NAME;
  if (!NAME_PATTERN.test(name)) throw new UserError(`--name ${name}: use letters, digits, dot, dash or underscore`);
  const runs: RunValues[] = [];
  for (const dir of runDirs) runs.push(await readRunValues(dir));
  const entry = entryFromRuns(runs, name, options.now ?? new Date());
  const folder = baselineFolder(entry.scenario, name, options);
  const history = await readHistory(folder);
  const latest = history.at(-1);
  if (latest && latest.identityHash !== entry.identityHash) {
    throw new UserError(
      `baseline ${entry.scenario}/${name} holds runs of another scenario shape — ${describeDifferences(latest.identity, entry.identity, ['in its history', 'in these runs']).join('; ')}: ` +
        'save them under another --name (a changed scenario starts a new history)',
    );
  }
  await mkdir(folder, { recursive: true });
  await appendFile(path.join(folder, BASELINE_FILES.history), `${JSON.stringify(entry)}\n`, 'utf8');
  const current = options.promote !== false || !(await readCurrent(folder));
  if (current) await writeCurrent(folder, entry);
  return { entry, folder, current };
}

export interface BaselineListing {
  scenario: string;
  name: string;
  folder: string;
  entries: number;
  current: BaselineEntry | null;
}

/** `baseline list`: every `<scenario>/<name>` folder with a history, sorted. */
export async function listBaselines(options: StoreOptions = {}): Promise<BaselineListing[]> {
  const root = path.resolve(options.dir ?? DEFAULT_BASELINES_DIR);
  if (!(await isDirectory(root))) return [];
  const listings: BaselineListing[] = [];
  for (const scenario of (await readdir(root)).sort()) {
    if (!(await isDirectory(path.join(root, scenario)))) continue;
    for (const name of (await readdir(path.join(root, scenario))).sort()) {
      const folder = path.join(root, scenario, name);
      const history = await readHistory(folder).catch(() => []);
      if (!history.length) continue;
      listings.push({ scenario, name, folder, entries: history.length, current: await readCurrent(folder) });
    }
  }
  return listings;
}

/** `baseline promote`: the entry with this id, wherever it is in the store, becomes its name's current. */
export async function promoteEntry(entryId: string, options: StoreOptions = {}): Promise<SaveResult> {
  for (const listing of await listBaselines(options)) {
    const entry = (await readHistory(listing.folder)).find((candidate) => candidate.id === entryId);
    if (entry) {
      await writeCurrent(listing.folder, entry);
      return { entry, folder: listing.folder, current: true };
    }
  }
  throw new UserError(
    `no baseline entry ${entryId} under ${path.resolve(options.dir ?? DEFAULT_BASELINES_DIR)}; \`baseline show <scenario>\` lists the entries`,
  );
}

/** The folder a `<scenario>[/<name>]` key or a path names; a scenario folder with one name (or `default`) resolves to it. */
export async function resolveBaselineFolder(ref: string, options: StoreOptions = {}): Promise<string | null> {
  const root = path.resolve(options.dir ?? DEFAULT_BASELINES_DIR);
  const candidates = [path.resolve(root, ref), path.resolve(ref)];
  for (const candidate of candidates) {
    if (!(await isDirectory(candidate))) continue;
    if (await readTextOrNull(path.join(candidate, BASELINE_FILES.history))) return candidate;
    if (await readTextOrNull(path.join(candidate, 'summary.json'))) continue; // a run directory, not a baseline
    const names = [];
    for (const name of await readdir(candidate)) {
      if (await readTextOrNull(path.join(candidate, name, BASELINE_FILES.history))) names.push(name);
    }
    if (names.includes(DEFAULT_BASELINE_NAME)) return path.join(candidate, DEFAULT_BASELINE_NAME);
    if (names.length === 1) return path.join(candidate, names[0]!);
    if (names.length > 1) {
      throw new UserError(
        `${ref} holds several baselines (${names.sort().join(', ')}): name one, e.g. ${ref}/${names[0]}`,
      );
    }
  }
  return null;
}

/** A stored entry as the runs `gate` compares with. */
export function entryAsBaseline(entry: BaselineEntry, source: string): StoredBaseline {
  return {
    id: entry.id,
    identity: entry.identity,
    hostFingerprint: entry.host,
    source,
    runs: entry.runs.map((run) => ({
      runId: run.runId,
      dir: null,
      startedAt: run.startedAt,
      scenario: entry.scenario,
      valid: true,
      invalidReasons: [],
      failedThresholds: run.failedThresholds,
      values: run.values,
      info: null,
    })),
  };
}

/**
 * What `gate --baseline <ref>` compares with: `ref` is a baseline folder, a `<scenario>[/<name>]` key under
 * the store, or a run directory (a one-run baseline, as before the store existed). UserError (exit 2) otherwise.
 */
export async function loadBaseline(ref: string, options: StoreOptions = {}): Promise<StoredBaseline> {
  const folder = await resolveBaselineFolder(ref, options);
  if (folder) {
    const entry = await readCurrent(folder);
    if (!entry) {
      throw new UserError(
        `baseline ${ref} (${folder}) has no current entry: promote one with \`baseline promote <entry-id>\``,
      );
    }
    return entryAsBaseline(entry, `${path.relative(process.cwd(), folder) || folder} (entry ${entry.id})`);
  }
  if (await readTextOrNull(path.join(path.resolve(ref), 'summary.json'))) {
    const run = await readRunValues(ref);
    return {
      id: run.runId,
      identity: runIdentity(run.info),
      hostFingerprint: hostFingerprint(run.info),
      runs: [run],
      source: ref,
    };
  }
  throw new UserError(
    `no baseline at ${ref}: expected a run directory, a baseline folder, or a <scenario>/<name> saved under ${path.resolve(options.dir ?? DEFAULT_BASELINES_DIR)} (\`baseline list\`)`,
  );
}
