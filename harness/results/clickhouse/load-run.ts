import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { log } from '../../common/log.ts';
import type { DeliverySample, TimelineEvent, TimeseriesPoint } from '../../common/summary-types.ts';
import { connectResults, type ResultsDb, type ResultsTarget } from './connection.ts';
import {
  endedStatus,
  eventRow,
  isoToUs,
  ledgerRows,
  pointRows,
  type Row,
  runRowFor,
  runRowTable,
  sampleRow,
  thresholdRows,
} from './rows.ts';
import { RUN_FILES, readNdjson, readRunInfo, readRunSummary } from './run-files.ts';
import { RUN_TABLES, SHARDED_TABLES, type TableName } from './schema.ts';
import { sqlString } from './sql.ts';

export interface LoadOptions {
  /** Shard of a distributed run; the load replaces only this shard's rows. Default ''. */
  shard?: string;
  batchRows?: number;
  /** How long to wait for ClickHouse to finish deleting the run's old rows. */
  mutationTimeoutMs?: number;
}

export interface LoadResult {
  runId: string;
  database: string;
  /** Rows inserted per table. */
  rows: Partial<Record<TableName, number>>;
  /** Rows of an earlier load (or the live writer) that were deleted first. */
  replacedRows: number;
  warnings: string[];
  ms: number;
}

async function count(db: ResultsDb, query: string): Promise<number> {
  const result = await db.client.query({ query, format: 'JSONEachRow' });
  const rows = (await result.json()) as { n: number | string }[];
  return Number(rows[0]?.n ?? 0);
}

/**
 * `ALTER TABLE … DELETE` is a mutation: it returns at once and rewrites parts in the background.
 * 18.16 has no `mutations_sync`, so poll `system.mutations` until every mutation of these tables is done.
 */
async function waitForMutations(db: ResultsDb, tables: TableName[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const query =
    `SELECT count() AS n FROM system.mutations WHERE database = ${sqlString(db.database)} ` +
    `AND table IN (${tables.map(sqlString).join(', ')}) AND is_done = 0`;
  let delay = 50;
  while ((await count(db, query)) > 0) {
    if (Date.now() > deadline) {
      throw new Error(
        `ClickHouse did not finish deleting old rows within ${timeoutMs / 1000} s (see system.mutations); run the load again`,
      );
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 500);
  }
}

/**
 * Deletes a run's rows (of one shard) from every per-run table and waits until they are gone.
 * Tables that hold none are skipped, so a first load issues no mutation at all.
 */
export function deleteRunRows(db: ResultsDb, runId: string, shard: string, timeoutMs = 120_000): Promise<number> {
  // A shard owns only its rows in the sharded tables; the run's thresholds are the merged run's.
  const tables = shard === '' ? RUN_TABLES : RUN_TABLES.filter((t) => SHARDED_TABLES.has(t));
  return deleteRows(db, runId, shard, tables, timeoutMs);
}

/** Deletes a run's rows (of one shard, in the sharded tables) from these tables; returns how many there were. */
async function deleteRows(
  db: ResultsDb,
  runId: string,
  shard: string,
  tables: readonly TableName[],
  timeoutMs: number,
): Promise<number> {
  let replaced = 0;
  const mutated: TableName[] = [];
  for (const table of tables) {
    const where = `run_id = ${sqlString(runId)}${SHARDED_TABLES.has(table) ? ` AND shard = ${sqlString(shard)}` : ''}`;
    const n = await count(db, `SELECT count() AS n FROM ${db.table(table)} WHERE ${where}`);
    if (n === 0) continue;
    replaced += n;
    await db.client.command({ query: `ALTER TABLE ${db.table(table)} DELETE WHERE ${where}` });
    mutated.push(table);
  }
  if (mutated.length > 0) await waitForMutations(db, mutated, timeoutMs);
  return replaced;
}

/** Buffers rows per table and inserts them in batches (JSONEachRow: the one format 18.16 and current share). */
class BatchInserter {
  private readonly buffers = new Map<TableName, Row[]>();
  readonly counts: Partial<Record<TableName, number>> = {};

  constructor(
    private readonly db: ResultsDb,
    private readonly batchRows: number,
  ) {}

  async add(table: TableName, rows: Row[]): Promise<void> {
    if (rows.length === 0) return;
    let buffer = this.buffers.get(table);
    if (!buffer) {
      buffer = [];
      this.buffers.set(table, buffer);
    }
    for (const row of rows) buffer.push(row);
    if (buffer.length >= this.batchRows) await this.flush(table);
  }

  async flush(table?: TableName): Promise<void> {
    for (const [name, rows] of this.buffers) {
      if ((table && name !== table) || rows.length === 0) continue;
      const batch = rows.splice(0, rows.length);
      await this.db.client.insert({ table: this.db.table(name), values: batch, format: 'JSONEachRow' });
      this.counts[name] = (this.counts[name] ?? 0) + batch.length;
    }
  }
}

/**
 * Loads a run folder into ClickHouse — the backfill after a run whose live writer could not write
 * everything, or a later import. Idempotent: the run's rows are deleted first (delete-then-insert,
 * waiting for the mutations), so loading twice leaves one copy. The `runs` row goes in last, so a run
 * listed as `source = files` is a complete load. Do not load a run while it is still being written.
 */
export async function loadRunDir(dir: string, target: ResultsTarget, options: LoadOptions = {}): Promise<LoadResult> {
  if ((options.shard ?? '') === '' && mergedShardDirs(dir).length > 0) return loadMergedRunDir(dir, target, options);
  const started = Date.now();
  const info = readRunInfo(dir);
  const summary = readRunSummary(dir);
  const shard = options.shard ?? '';
  const runId = info.runId;
  const startedUs = isoToUs(info.startedAt);
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    log.warn('results', message);
  };
  const badLine = (file: string) => (line: number, error: unknown) =>
    warn(`${file}:${line} skipped: ${(error as Error).message}`);

  const db = await connectResults(target);
  try {
    const replacedRows = await deleteRunRows(db, runId, shard, options.mutationTimeoutMs);
    const inserter = new BatchInserter(db, options.batchRows ?? 20_000);

    for await (const point of readNdjson<TimeseriesPoint>(
      path.join(dir, RUN_FILES.timeseries),
      badLine(RUN_FILES.timeseries),
    )) {
      const rows = pointRows(runId, shard, point, startedUs, (metric, error) =>
        warn(`second ${point.t}: histogram of ${metric} does not decode (${(error as Error).message})`),
      );
      await inserter.add('trend_seconds', rows.trend_seconds);
      await inserter.add('value_seconds', rows.value_seconds);
      await inserter.add('generator_seconds', rows.generator_seconds);
    }

    let events = 0;
    for await (const event of readNdjson<TimelineEvent>(
      path.join(dir, RUN_FILES.timeline),
      badLine(RUN_FILES.timeline),
    )) {
      events++;
      await inserter.add('events', [eventRow(runId, shard, startedUs, event)]);
    }
    // Without timeline.ndjson the summary's copy of the timeline is the record.
    if (events === 0 && summary) {
      await inserter.add(
        'events',
        summary.timeline.map((event) => eventRow(runId, shard, startedUs, event)),
      );
    }

    for await (const sample of readNdjson<DeliverySample>(
      path.join(dir, RUN_FILES.samples),
      badLine(RUN_FILES.samples),
    )) {
      await inserter.add('deliveries', [sampleRow(shard, { ...sample, run_id: runId })]);
    }

    if (summary) {
      if (shard === '') await inserter.add('thresholds', thresholdRows(runId, summary.thresholds));
      if (summary.push_ledger) await inserter.add('push_ledger', ledgerRows(runId, shard, summary.push_ledger));
    } else {
      warn(`${dir} has no ${RUN_FILES.summary}: loading the time series only; the run shows as incomplete`);
    }
    await inserter.flush();

    const status = endedStatus(summary);
    await inserter.add(runRowTable(shard), [runRowFor(shard, info, summary, { status, source: 'files' })]);
    await inserter.flush();
    return { runId, database: db.database, rows: inserter.counts, replacedRows, warnings, ms: Date.now() - started };
  } finally {
    await db.close();
  }
}

/** The shard folders of a merged distributed run (`<dir>/shards/<i>/` with a summary), by index. */
function mergedShardDirs(dir: string): { shard: string; dir: string }[] {
  const shardsDir = path.join(dir, 'shards');
  if (!existsSync(shardsDir)) return [];
  return readdirSync(shardsDir)
    .filter((name) => /^\d+$/.test(name) && existsSync(path.join(shardsDir, name, RUN_FILES.summary)))
    .sort((a, b) => Number(a) - Number(b))
    .map((name) => ({ shard: name, dir: path.join(shardsDir, name) }));
}

/**
 * The merged run of a distributed run (`coordinate --merge`, `results merge`): its `runs` row (source `merge`) and
 * its thresholds, judged on the merged run. Its per-second, event, delivery and ledger rows are the shards' own,
 * under their index (each shard's `--out clickhouse`, or `loadRunDir` of the merged folder): writing the merged
 * series as well would count every second twice wherever the dashboards sum over shards.
 */
export async function writeMergedRunRow(dir: string, target: ResultsTarget): Promise<LoadResult> {
  const started = Date.now();
  const info = readRunInfo(dir);
  const summary = readRunSummary(dir);
  const db = await connectResults(target);
  try {
    const replacedRows = await deleteRows(db, info.runId, '', ['thresholds'], 120_000);
    const inserter = new BatchInserter(db, 20_000);
    if (summary) await inserter.add('thresholds', thresholdRows(info.runId, summary.thresholds));
    const status = endedStatus(summary);
    await inserter.add('runs', [runRowFor('', info, summary, { status, source: 'merge' })]);
    await inserter.flush();
    return {
      runId: info.runId,
      database: db.database,
      rows: inserter.counts,
      replacedRows,
      warnings: [],
      ms: Date.now() - started,
    };
  } finally {
    await db.close();
  }
}

/** A merged run folder, loaded whole: every shard's folder under its index, then the merged row. */
async function loadMergedRunDir(dir: string, target: ResultsTarget, options: LoadOptions): Promise<LoadResult> {
  const started = Date.now();
  const rows: Partial<Record<TableName, number>> = {};
  const warnings: string[] = [];
  let replacedRows = 0;
  const addRows = (counts: Partial<Record<TableName, number>>) => {
    for (const [table, n] of Object.entries(counts))
      rows[table as TableName] = (rows[table as TableName] ?? 0) + (n ?? 0);
  };
  for (const shard of mergedShardDirs(dir)) {
    const loaded = await loadRunDir(shard.dir, target, { ...options, shard: shard.shard });
    addRows(loaded.rows);
    warnings.push(...loaded.warnings.map((warning) => `shard ${shard.shard}: ${warning}`));
    replacedRows += loaded.replacedRows;
  }
  const merged = await writeMergedRunRow(dir, target);
  addRows(merged.rows);
  return {
    runId: merged.runId,
    database: merged.database,
    rows,
    replacedRows: replacedRows + merged.replacedRows,
    warnings,
    ms: Date.now() - started,
  };
}
