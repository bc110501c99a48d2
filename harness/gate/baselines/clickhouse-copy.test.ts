/**
 * Baselines copied to current ClickHouse, in process (chDB, ClickHouse 26.x): the copy follows the files
 * (saves, a save without promoting, a promote), catches up on what it missed, keeps the files' order, and
 * `show --from clickhouse` reads back the same history. clickhouse-copy.integration.test.ts runs the
 * commands against ClickHouse 18.16.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { CLIENT_SETTINGS } from '../../results/clickhouse/index.ts';
import {
  compareInspectionWithClickHouse,
  compareListingsWithClickHouse,
  copyBaselineToClickHouse,
  inspectBaselineInClickHouse,
} from './clickhouse-copy.ts';
import { inspectBaseline } from './history-changes.ts';
import { listBaselines, promoteEntry, readHistory, saveBaseline } from './store.ts';
import { writeBaselineRun } from './testing/baseline-runs.ts';

const root = await mkdtemp(path.join(os.tmpdir(), 'cb-baselines-clickhouse-'));
// chDB allows one data directory per process; its connection is typed against the deprecated
// @clickhouse/client-common, structurally equal at runtime: hence the cast (as in modern-engine.test.ts).
type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
const client = createClient({
  connection: createChdbConnection({ path: path.join(root, 'chdb') }) as unknown as ClientConnection,
  clickhouse_settings: CLIENT_SETTINGS,
});
let databases = 0;
/** A fresh database per test. */
const freshTarget = () => ({ client, database: `baselines_${++databases}` });

after(async () => {
  await client.close();
  await rm(root, { recursive: true, force: true });
});

let runs = 0;
async function run(latencyMs: number): Promise<string> {
  runs++;
  return writeBaselineRun(path.join(root, 'results'), {
    runId: `20261123-1200${String(runs).padStart(2, '0')}-r${runs}`,
    latencyMs,
  });
}

async function rowsOf(database: string): Promise<Array<Record<string, unknown>>> {
  const result = await client.query({
    query: `SELECT entry_id, event, made_current, history_index, identity_hash, harness_version, host_cores, git_commit, run_ids, value_run_id, value_metric, value, saved_us FROM ${database}.baseline_entries ORDER BY event_us, event`,
    format: 'JSONEachRow',
  });
  return (await result.json()) as Array<Record<string, unknown>>;
}

test('saves, a save without promoting and a promote reach ClickHouse as rows that match the files', async () => {
  const target = freshTarget();
  const dir = path.join(root, 'store-1');
  const first = await saveBaseline([await run(4), await run(6)], { dir, now: new Date('2026-11-23T12:00:00Z') });
  assert.deepEqual(await copyBaselineToClickHouse(first.folder, target), { savedRows: 1, promoted: false });
  const second = await saveBaseline([await run(9)], { dir, promote: false, now: new Date('2026-11-24T12:00:00Z') });
  assert.deepEqual(await copyBaselineToClickHouse(second.folder, target), { savedRows: 1, promoted: false });
  await promoteEntry(second.entry.id, { dir });
  assert.deepEqual(await copyBaselineToClickHouse(second.folder, target), { savedRows: 0, promoted: true });
  assert.deepEqual(await copyBaselineToClickHouse(second.folder, target), { savedRows: 0, promoted: false });

  const rows = await rowsOf(target.database);
  assert.deepEqual(
    rows.map((r) => [r.entry_id, r.event, r.made_current, r.history_index]),
    [
      [first.entry.id, 'saved', 1, 0],
      [second.entry.id, 'saved', 0, 1],
      [second.entry.id, 'promoted', 1, 1],
    ],
  );
  const saved = rows[0]!;
  assert.equal(saved.identity_hash, first.entry.identityHash);
  assert.equal(saved.harness_version, '0.1.0');
  assert.equal(saved.host_cores, 2);
  assert.equal(saved.git_commit, 'a'.repeat(40));
  assert.equal(Number(saved.saved_us), Date.parse('2026-11-23T12:00:00Z') * 1000);
  assert.deepEqual(
    saved.run_ids,
    first.entry.runs.map((r) => r.runId),
  );
  // Per-run values: every number of the entry, as (run, metric, value).
  const expected = first.entry.runs.flatMap((r) =>
    Object.entries(r.values).flatMap(([metric, value]) =>
      typeof value === 'number' ? [[r.runId, metric, value]] : [],
    ),
  );
  const values = saved.value as number[];
  const stored = (saved.value_run_id as string[]).map((id, i) => [id, (saved.value_metric as string[])[i], values[i]]);
  assert.ok(expected.length > 0);
  assert.deepEqual(stored, expected);

  const inspection = await inspectBaseline('fanout-smoke', { dir });
  const agreement = await compareInspectionWithClickHouse(inspection, target);
  assert.equal(agreement.same, true, JSON.stringify(agreement));
  assert.equal(agreement.entries, 2);

  const fromClickHouse = await inspectBaselineInClickHouse('fanout-smoke', target, 'chdb');
  assert.deepEqual(fromClickHouse.history, inspection.history, 'entry_json gives back the entries');
  assert.equal(fromClickHouse.current?.id, second.entry.id);
});

test('an entry saved while ClickHouse was away is copied by the next save, in the files’ order', async () => {
  const target = freshTarget();
  const dir = path.join(root, 'store-2');
  // Dates out of order on purpose: the history keeps the order of saves, so must ClickHouse.
  const missed = await saveBaseline([await run(5)], { dir, now: new Date('2026-11-25T12:00:00Z') });
  const next = await saveBaseline([await run(5)], { dir, now: new Date('2026-11-24T12:00:00Z') });
  const listings = await listBaselines({ dir });

  const before = await compareListingsWithClickHouse(listings, target);
  assert.deepEqual(before.byBaseline.get('fanout-smoke/default')?.missingInClickHouse, [
    missed.entry.id,
    next.entry.id,
  ]);

  assert.deepEqual(await copyBaselineToClickHouse(next.folder, target), { savedRows: 2, promoted: false });
  const afterCopy = await compareListingsWithClickHouse(listings, target);
  assert.equal(afterCopy.byBaseline.get('fanout-smoke/default')?.same, true);
  assert.deepEqual(afterCopy.onlyInClickHouse, []);
  const fromClickHouse = await inspectBaselineInClickHouse('fanout-smoke/default', target, 'chdb');
  assert.deepEqual(
    fromClickHouse.history.map((e) => e.id),
    (await readHistory(next.folder)).map((e) => e.id),
  );
  assert.equal(fromClickHouse.current?.id, next.entry.id);

  // Another clone's baseline, only in ClickHouse: listed as such, not as a difference of this one.
  const elsewhere = path.join(root, 'store-2b');
  const other = await saveBaseline([await run(5)], { dir: elsewhere, name: 'release-6' });
  await copyBaselineToClickHouse(other.folder, target);
  const withOther = await compareListingsWithClickHouse(listings, target);
  assert.deepEqual(
    withOther.onlyInClickHouse.map((b) => [b.scenario, b.name, b.agreement.entries, b.agreement.onlyInClickHouse]),
    [['fanout-smoke', 'release-6', 1, [other.entry.id]]],
  );
  assert.equal(
    (await inspectBaselineInClickHouse('fanout-smoke', target, 'chdb')).current?.id,
    next.entry.id,
    'a scenario alone means its default baseline',
  );
  assert.equal(
    (await inspectBaselineInClickHouse('fanout-smoke/release-6', target, 'chdb')).current?.id,
    other.entry.id,
  );
});
