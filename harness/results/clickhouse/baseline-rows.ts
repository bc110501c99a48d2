/**
 * Baseline entries in ClickHouse (the `baseline_entries` table, schema.ts migration 2): a copy of the
 * baselines folder, which stays the record (harness/gate/baselines/store.ts). One row per event: `saved`
 * (an entry appended to a history) or `promoted` (an entry made current).
 *
 * The entry is described here by its shape, not imported: results may not import gate
 * (harness/architecture.cjs), so gate hands its entries to these functions.
 */
import { connectResults, type ResultsTarget } from './connection.ts';
import { sqlString } from './sql.ts';

/** The fields of a baseline entry the table stores (gate's BaselineEntry has them all). */
export interface BaselineRecord {
  id: string;
  savedAt: string;
  scenario: string;
  name: string;
  identityHash: string;
  harnessVersion: string;
  host: { cpuModel: string; cores: number; memoryGiB: number; platform: string; arch: string };
  git: { commit: string | null };
  runs: ReadonlyArray<{ runId: string; values: Record<string, number | null> }>;
  medians: Record<string, number | null>;
}

export type BaselineEvent = 'saved' | 'promoted';

export interface BaselineEventRow {
  entry_id: string;
  event: BaselineEvent;
  event_us: number;
  made_current: number;
  history_index: number;
  scenario: string;
  name: string;
  identity_hash: string;
  harness_version: string;
  host_cpu_model: string;
  host_cores: number;
  host_memory_gib: number;
  host_platform: string;
  host_arch: string;
  git_commit: string;
  saved_us: number;
  run_ids: string[];
  value_run_id: string[];
  value_metric: string[];
  value: number[];
  median_metric: string[];
  median: number[];
  entry_json: string;
}

/** Requests fail fast: a baseline command waits for ClickHouse only as an extra, never for long. */
const REQUEST_TIMEOUT_MS = 5_000;

const microseconds = (iso: string) => Date.parse(iso) * 1000;

/** The row for one event of an entry; `entry` is stored whole as entry_json (it may carry more fields). */
export function baselineEventRow(
  entry: BaselineRecord,
  event: BaselineEvent,
  options: { madeCurrent: boolean; at: Date; historyIndex: number },
): BaselineEventRow {
  const values = entry.runs.flatMap((run) =>
    Object.entries(run.values).flatMap(([metric, value]) =>
      typeof value === 'number' && Number.isFinite(value) ? [{ runId: run.runId, metric, value }] : [],
    ),
  );
  const medians = Object.entries(entry.medians).flatMap(([metric, value]) =>
    typeof value === 'number' && Number.isFinite(value) ? [{ metric, value }] : [],
  );
  return {
    entry_id: entry.id,
    event,
    event_us: options.at.getTime() * 1000,
    made_current: options.madeCurrent ? 1 : 0,
    history_index: options.historyIndex,
    scenario: entry.scenario,
    name: entry.name,
    identity_hash: entry.identityHash,
    harness_version: entry.harnessVersion,
    host_cpu_model: entry.host.cpuModel,
    host_cores: entry.host.cores,
    host_memory_gib: entry.host.memoryGiB,
    host_platform: entry.host.platform,
    host_arch: entry.host.arch,
    git_commit: entry.git.commit ?? '',
    saved_us: microseconds(entry.savedAt),
    run_ids: entry.runs.map((run) => run.runId),
    value_run_id: values.map((v) => v.runId),
    value_metric: values.map((v) => v.metric),
    value: values.map((v) => v.value),
    median_metric: medians.map((m) => m.metric),
    median: medians.map((m) => m.value),
    entry_json: JSON.stringify(entry),
  };
}

export interface BaselineEventToWrite {
  entry: BaselineRecord;
  event: BaselineEvent;
  madeCurrent: boolean;
  at: Date;
  /** The entry's position in its history file, 0 = oldest. */
  historyIndex: number;
}

/** Appends event rows, in one INSERT. Throws when ClickHouse is unreachable or refuses them; the caller decides what that means. */
export async function writeBaselineEvents(
  target: ResultsTarget,
  events: readonly BaselineEventToWrite[],
): Promise<void> {
  if (!events.length) return;
  const db = await connectResults(target, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
  try {
    await db.client.insert({
      table: db.table('baseline_entries'),
      values: events.map((e) => baselineEventRow(e.entry, e.event, e)),
      format: 'JSONEachRow',
    });
  } finally {
    await db.close();
  }
}

/** What ClickHouse holds of one baseline (`<scenario>/<name>`). */
export interface BaselineHistoryInClickHouse {
  scenario: string;
  name: string;
  /** The `saved` rows' entries, oldest first, one per entry id: parsed entry_json. */
  entries: unknown[];
  entryIds: string[];
  /** The entry of the newest row with made_current = 1. */
  currentId: string | null;
}

/**
 * Every baseline's history in ClickHouse, or only `scenario` (and `name`): the `saved` rows in history order
 * (history_index), one per entry id — a row written twice (a retried save) counts once — and the current entry
 * (the newest row with made_current = 1).
 */
export async function baselineHistoriesInClickHouse(
  target: ResultsTarget,
  filter: { scenario?: string; name?: string } = {},
): Promise<BaselineHistoryInClickHouse[]> {
  const db = await connectResults(target, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
  let rows: Array<
    Pick<BaselineEventRow, 'entry_id' | 'event' | 'made_current' | 'history_index' | 'scenario' | 'name' | 'entry_json'>
  >;
  try {
    const where = [
      ...(filter.scenario === undefined ? [] : [`scenario = ${sqlString(filter.scenario)}`]),
      ...(filter.name === undefined ? [] : [`name = ${sqlString(filter.name)}`]),
    ];
    const result = await db.client.query({
      query:
        `SELECT entry_id, event, made_current, history_index, scenario, name, entry_json FROM ${db.table('baseline_entries')}` +
        `${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY scenario, name, event_us, entry_id`,
      format: 'JSONEachRow',
    });
    rows = (await result.json()) as typeof rows;
  } finally {
    await db.close();
  }
  const byKey = new Map<
    string,
    { history: BaselineHistoryInClickHouse; saved: Map<string, { index: number; json: string }> }
  >();
  for (const row of rows) {
    const key = `${row.scenario}/${row.name}`;
    let baseline = byKey.get(key);
    if (!baseline) {
      baseline = {
        history: { scenario: row.scenario, name: row.name, entries: [], entryIds: [], currentId: null },
        saved: new Map(),
      };
      byKey.set(key, baseline);
    }
    if (row.event === 'saved' && !baseline.saved.has(row.entry_id)) {
      baseline.saved.set(row.entry_id, { index: Number(row.history_index), json: row.entry_json });
    }
    if (Number(row.made_current) === 1) baseline.history.currentId = row.entry_id;
  }
  return [...byKey.values()].map(({ history, saved }) => {
    const ordered = [...saved].sort(([a, x], [b, y]) => x.index - y.index || a.localeCompare(b));
    return {
      ...history,
      entryIds: ordered.map(([id]) => id),
      entries: ordered.map(([, row]) => JSON.parse(row.json) as unknown),
    };
  });
}
