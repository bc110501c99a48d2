/**
 * The ClickHouse checks every engine must pass — ClickHouse 18.16 (the local stack) and current
 * ClickHouse (chDB) run the same suite: schema and migrations, load and reload, live writing, the
 * histogram SQL, and every dashboard query expanded as Grafana expands it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import { allDashboardQueries, runDashboardQueries } from '../../../../dashboards/lib/dashboard-queries.ts';
import type { GrafanaQueryContext } from '../../../../dashboards/lib/grafana-macros.ts';
import type { RunSummary, TimeseriesPoint } from '../../../common/summary-types.ts';
import { connectResults, type ResultsTarget } from '../connection.ts';
import { type FixtureTruth, writeFixtureRun } from '../fixture-run.ts';
import { hdrToBuckets, histQuantileMsSql } from '../histogram-buckets.ts';
import { createLiveWriter } from '../live-writer.ts';
import { loadRunDir } from '../load-run.ts';
import { migrate } from '../migrate.ts';
import { broadcastModeOf } from '../rows.ts';
import { RUN_FILES, readRunInfo, readRunSummary } from '../run-files.ts';
import { MIGRATIONS, RUN_TABLES, SCHEMA_VERSION, schemaColumns, type TableName } from '../schema.ts';
import { sqlString } from '../sql.ts';

export interface EngineUnderTest {
  label: string;
  /** What the writer and the loader are given. */
  target: (database: string) => ResultsTarget;
  /** A client whose default database is `database` (dashboards use unqualified table names). */
  queryClient: (database: string) => Promise<ClickHouseClient>;
  database: string;
}

export interface RunUnderTest {
  dir: string;
  /** Known answers, when the run is a fixture. */
  truth?: FixtureTruth;
  /**
   * For a real run that must fill the dashboards on its own: the panels it cannot fill because what they
   * show did not happen (a clean smoke run has no losses, reconnects, errors or pushes). Every other
   * panel must return rows for this run alone. Without it, a real run's queries need only not fail.
   */
  emptyPanels?: RegExp;
}

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  return (await result.json()) as T[];
}

function ndjson<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as T];
      } catch {
        return [];
      }
    });
}

/** Rows each table should hold for a run folder, counted from the raw files. */
export function expectedRowCounts(dir: string): Record<TableName, number> {
  const points = ndjson<TimeseriesPoint>(path.join(dir, RUN_FILES.timeseries));
  const summary = readRunSummary(dir);
  const timeline = ndjson(path.join(dir, RUN_FILES.timeline));
  return {
    schema_migrations: 0,
    baseline_entries: 0,
    runs: 1,
    shard_runs: 0,
    trend_seconds: points.reduce((n, p) => n + Object.keys(p.trends ?? {}).length, 0),
    value_seconds: points.reduce(
      (n, p) => n + Object.keys(p.counters ?? {}).length + Object.keys(p.gauges ?? {}).length,
      0,
    ),
    generator_seconds: points.filter((p) => p.generator).length,
    deliveries: ndjson(path.join(dir, RUN_FILES.samples)).length,
    events: timeline.length || (summary?.timeline.length ?? 0),
    push_ledger: summary?.push_ledger ? 4 + Object.keys(summary.push_ledger.failed).length : 0,
    thresholds: summary?.thresholds.length ?? 0,
  };
}

async function countsOf(client: ClickHouseClient, db: string, runId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of RUN_TABLES) {
    const [row] = await rows<{ n: number }>(
      client,
      `SELECT count() AS n FROM ${db}.${table} WHERE run_id = ${sqlString(runId)}`,
    );
    out[table] = Number(row?.n ?? 0);
  }
  const [runsRow] = await rows<{ n: number }>(
    client,
    `SELECT count() AS n FROM ${db}.runs FINAL WHERE run_id = ${sqlString(runId)}`,
  );
  out.runs = Number(runsRow?.n ?? 0);
  return out;
}

function withoutMeta(counts: Record<TableName, number>): Record<string, number> {
  const { schema_migrations: _, baseline_entries: _baselines, shard_runs: _shards, ...rest } = counts;
  return rest;
}

export async function runEngineSuite(t: TestContext, engine: EngineUnderTest, runs: RunUnderTest[]): Promise<void> {
  const db = engine.database;
  const client = await engine.queryClient(db);
  const infos = runs.map((r) => readRunInfo(r.dir));

  await t.test(`${engine.label}: migrations apply once and build the schema the code describes`, async () => {
    const first = await connectResults(engine.target(db));
    assert.deepEqual(await migrate(first, MIGRATIONS), [], 'a second migrate applies nothing');
    await first.close();
    const versions = await rows<{ version: number }>(client, `SELECT DISTINCT version FROM ${db}.schema_migrations`);
    assert.deepEqual(
      versions.map((v) => Number(v.version)).sort((a, b) => a - b),
      MIGRATIONS.map((m) => m.version),
    );
    const actual = await rows<{ table: string; name: string }>(
      client,
      `SELECT table, name FROM system.columns WHERE database = ${sqlString(db)}`,
    );
    for (const [table, columns] of schemaColumns()) {
      const found = actual.filter((c) => c.table === table).map((c) => c.name);
      assert.deepEqual(found.sort(), [...columns].sort(), `columns of ${table}`);
    }
  });

  await t.test(
    `${engine.label}: loading a run writes every row of its files once; loading again replaces them`,
    async () => {
      for (const run of runs) {
        const info = readRunInfo(run.dir);
        const expected = withoutMeta(expectedRowCounts(run.dir));
        const first = await loadRunDir(run.dir, engine.target(db));
        assert.deepEqual(await countsOf(client, db, info.runId), expected, `${info.runId} after the first load`);
        assert.equal(first.warnings.length, 0, first.warnings.join('; '));
        const second = await loadRunDir(run.dir, engine.target(db));
        assert.ok(second.replacedRows > 0, 'the second load found the first one');
        assert.deepEqual(await countsOf(client, db, info.runId), expected, `${info.runId} after loading twice`);
      }
    },
  );

  await t.test(`${engine.label}: the runs row has the run's aggregates and verdict`, async () => {
    for (const run of runs.filter((r) => r.truth)) {
      const truth = run.truth!;
      const [row] = await rows<Record<string, number | string>>(
        client,
        `SELECT messages_lost, messages_duplicated, reconnects, pushes_enqueued, pushes_delivered, mode, verdict, source, status
         FROM ${db}.runs FINAL WHERE run_id = ${sqlString(truth.info.runId)}`,
      );
      assert.deepEqual(
        { ...row, messages_lost: Number(row?.messages_lost), pushes_enqueued: Number(row?.pushes_enqueued) },
        {
          messages_lost: truth.lost,
          messages_duplicated: truth.duplicated,
          reconnects: truth.reconnects,
          pushes_enqueued: truth.pushesEnqueued,
          pushes_delivered: truth.pushesDelivered,
          mode: broadcastModeOf(truth.info),
          verdict: truth.lost > 0 ? 'fail' : 'pass',
          source: 'files',
          status: 'finished',
        },
      );
      const [ledger] = await rows<{ failed: number }>(
        client,
        `SELECT sumIf(count, outcome = 'failed') AS failed FROM ${db}.push_ledger WHERE run_id = ${sqlString(truth.info.runId)}`,
      );
      assert.equal(
        Number(ledger?.failed),
        Object.values(truth.pushesFailed).reduce((a, b) => a + b, 0),
      );
    }
  });

  await t.test(`${engine.label}: merged-histogram percentiles in SQL equal the TypeScript computation`, async () => {
    const run = runs.find((r) => r.truth)!;
    const truth = run.truth!;
    const merged = new Map<number, number>();
    for (const point of ndjson<TimeseriesPoint>(path.join(run.dir, RUN_FILES.timeseries))) {
      const encoded = point.hdr?.delivery_latency;
      if (!encoded) continue;
      const b = hdrToBuckets(encoded);
      for (const [k, i] of b.idx.entries()) merged.set(i, (merged.get(i) ?? 0) + (b.cnt[k] ?? 0));
    }
    const idx = [...merged.keys()].sort((a, b) => a - b);
    const cnt = idx.map((i) => merged.get(i)!);
    const total = cnt.reduce((a, b) => a + b, 0);
    assert.equal(total, truth.deliveries);
    for (const q of [0.5, 0.99, 0.999]) {
      let cum = 0;
      const k = cnt.findIndex((c) => {
        cum += c;
        return cum >= total * q;
      });
      const expectedMs = Math.round((2 ** (idx[k]! / 16) / 1000) * 1000) / 1000;
      const [row] = await rows<{ v: number }>(
        client,
        `SELECT ${histQuantileMsSql('hist', q)} AS v FROM (SELECT sumMap(hist_idx, hist_cnt) AS hist FROM ${db}.trend_seconds
         WHERE run_id = ${sqlString(truth.info.runId)} AND metric = 'delivery_latency')`,
      );
      assert.equal(Number(row?.v), expectedMs, `p${q * 100}`);
    }
    // And it agrees with the engine's own whole-run HdrHistogram p99 to within one bucket.
    const hdrP99 = (truth.summary.metrics.delivery_latency as { p99: number }).p99;
    const [row] = await rows<{ v: number }>(
      client,
      `SELECT ${histQuantileMsSql('hist', 0.99)} AS v FROM (SELECT sumMap(hist_idx, hist_cnt) AS hist FROM ${db}.trend_seconds
       WHERE run_id = ${sqlString(truth.info.runId)} AND metric = 'delivery_latency')`,
    );
    assert.ok(Number(row?.v) >= hdrP99 * 0.99 && Number(row?.v) <= hdrP99 * 1.045, `${row?.v} vs HDR p99 ${hdrP99}`);
  });

  await t.test(
    `${engine.label}: the live writer shows a run while it runs; a later load replaces its rows`,
    async () => {
      const run = runs[0]!;
      const info = readRunInfo(run.dir);
      const summary = readRunSummary(run.dir) as RunSummary;
      const liveId = `${info.runId}-live`;
      const liveInfo = { ...info, runId: liveId };
      const points = ndjson<TimeseriesPoint>(path.join(run.dir, RUN_FILES.timeseries));
      const writer = createLiveWriter(engine.target(db), liveInfo, { flushIntervalMs: 100 });
      const half = Math.floor(points.length / 2);
      for (const point of points.slice(0, half)) writer.point(point);
      // Mid-run: the rows so far and a `running` runs row are visible.
      const deadline = Date.now() + 15_000;
      let seen = 0;
      while (Date.now() < deadline) {
        const [row] = await rows<{ n: number }>(
          client,
          `SELECT count() AS n FROM ${db}.trend_seconds WHERE run_id = ${sqlString(liveId)}`,
        );
        seen = Number(row?.n ?? 0);
        if (seen > 0 && writer.stats.buffered === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(seen > 0, 'live rows visible before the run ends');
      const [running] = await rows<{ status: string }>(
        client,
        `SELECT status FROM ${db}.runs FINAL WHERE run_id = ${sqlString(liveId)}`,
      );
      assert.equal(running?.status, 'running');
      for (const point of points.slice(half)) writer.point(point);
      for (const event of summary.timeline) writer.event(event);
      const result = await writer.close({ ...summary, runId: liveId });
      assert.equal(result.complete, true, JSON.stringify(result));
      const expected = withoutMeta(expectedRowCounts(run.dir));
      const live = await countsOf(client, db, liveId);
      assert.deepEqual(
        { ...live, deliveries: 0 },
        { ...expected, deliveries: 0 },
        'live rows equal what a load writes',
      );

      // A full batch goes out at once, without waiting for the (here: one-minute) timer.
      const sizeId = `${info.runId}-size`;
      const bySize = createLiveWriter(
        engine.target(db),
        { ...info, runId: sizeId },
        {
          flushIntervalMs: 60_000,
          maxBatchRows: 5,
        },
      );
      // Wait for the first (connect-time) flush to be over, so only the size trigger can send the points.
      for (const stop = Date.now() + 10_000; Date.now() < stop; ) {
        if (bySize.stats.connected && bySize.stats.buffered === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(bySize.stats.written, 1, 'the `running` runs row went out at connect');
      for (const point of points) bySize.point(point);
      let flushed = 0;
      for (const stop = Date.now() + 10_000; Date.now() < stop && flushed === 0; ) {
        await new Promise((r) => setTimeout(r, 100));
        const [row] = await rows<{ n: number }>(
          client,
          `SELECT count() AS n FROM ${db}.trend_seconds WHERE run_id = ${sqlString(sizeId)}`,
        );
        flushed = Number(row?.n ?? 0);
      }
      assert.ok(flushed > 0, 'rows sent by size before the timer');
      await bySize.close(null);
    },
  );

  await t.test(`${engine.label}: every dashboard query returns rows (Grafana's macros expanded)`, async () => {
    const starts = infos.map((i) => Date.parse(i.startedAt));
    const ends = runs.map((r) => Date.parse(readRunSummary(r.dir)?.endedAt ?? new Date().toISOString()));
    const runIds = infos.map((i) => i.runId);
    const modes = [...new Set(infos.map(broadcastModeOf))];
    const queries = allDashboardQueries();
    // A selection that includes a fixture run must fill every panel; a real run alone need only not fail.
    const selections: [string[], boolean, RegExp?][] = [
      [[runIds[0]!], Boolean(runs[0]!.truth)],
      [['$__all'], runs.some((r) => r.truth)],
      ...runs
        .slice(1)
        .filter((r) => !r.truth)
        .map((r): [string[], boolean, RegExp?] => [[readRunInfo(r.dir).runId], Boolean(r.emptyPanels), r.emptyPanels]),
    ];
    const contexts: [string, GrafanaQueryContext, boolean, RegExp?][] = [];
    for (const intervalMs of [1000, 5000]) {
      for (const [run, strict, emptyPanels] of selections) {
        contexts.push([
          `interval ${intervalMs} ms, run ${run.join(',')}`,
          {
            from: new Date(Math.min(...starts) - 60_000),
            to: new Date(Math.max(...ends) + 60_000),
            intervalMs,
            variables: {
              run: { current: run, options: runIds },
              mode: { current: ['$__all'], options: modes },
              shard: { current: ['$__all'], options: [] },
            },
          },
          strict,
          emptyPanels,
        ]);
      }
    }
    const problems: string[] = [];
    let ran = 0;
    for (const [label, context, strict, emptyPanels] of contexts) {
      for (const outcome of await runDashboardQueries(client, queries, context)) {
        ran++;
        const mayBeEmpty = emptyPanels?.test(`${outcome.dashboard} ${outcome.where}`) ?? false;
        if (outcome.error) problems.push(`${label}: ${outcome.dashboard} ${outcome.where}: ${outcome.error}`);
        else if (outcome.rows === 0 && strict && !mayBeEmpty)
          problems.push(`${label}: ${outcome.dashboard} ${outcome.where}: no rows`);
      }
    }
    assert.deepEqual(problems, []);
    assert.equal(ran, queries.length * contexts.length);
  });

  await t.test(`${engine.label}: dashboard numbers are the fixture's known answers`, async () => {
    const run = runs.find((r) => r.truth);
    if (!run) return;
    const truth = run.truth!;
    const started = Date.parse(truth.info.startedAt);
    const context: GrafanaQueryContext = {
      from: new Date(started - 60_000),
      to: new Date(started + (truth.points + 60) * 1000),
      intervalMs: 1000,
      variables: {
        run: { current: [truth.info.runId], options: [truth.info.runId] },
        mode: { current: ['$__all'], options: [] },
        shard: { current: ['$__all'], options: [] },
      },
    };
    const all = allDashboardQueries();
    const pick = (dashboard: string, title: string) => {
      const query = all.find((q) => q.dashboard === dashboard && q.where.startsWith(`panel "${title}"`));
      assert.ok(query, `${dashboard} "${title}"`);
      return query;
    };
    const result = async (dashboard: string, title: string) => {
      const [outcome] = await runDashboardQueries(client, [pick(dashboard, title)], context);
      assert.equal(outcome?.error, null);
      const sql = outcome!.sql;
      return rows<Record<string, number | string>>(client, sql);
    };
    const sum = (list: Record<string, number | string>[], column: string) =>
      list.reduce((n, r) => n + Number(r[column] ?? 0), 0);
    const failedTotal = Object.values(truth.pushesFailed).reduce((a, b) => a + b, 0);

    assert.equal(Number((await result('run-overview', 'Lost'))[0]?.messages_lost), truth.lost);
    assert.equal(
      sum(await result('delivery-integrity', 'Lost, duplicated, reordered, recovered per second'), 'lost'),
      truth.lost,
    );
    // Labelled breakdowns are not added to their totals.
    assert.equal(
      sum(await result('push-pipeline', 'Pushes per second: enqueued, delivered, failed'), 'failed'),
      failedTotal,
    );
    const byReason = await result('push-pipeline', 'Failures per second by reason');
    assert.equal(sum(byReason, 'per_second'), failedTotal);
    assert.deepEqual([...new Set(byReason.map((r) => r.reason))].sort(), Object.keys(truth.pushesFailed).sort());
    assert.equal(Number((await result('push-pipeline', 'Failed'))[0]?.failed), failedTotal);
  });

  await t.test(
    `${engine.label}: the dashboards' shard filter: a shard's numbers are its own, All is the sum`,
    async () => {
      // Two shards of one run id, as `run --shard i/n` writes them: fixtures of different sizes (known answers).
      const root = mkdtempSync(path.join(os.tmpdir(), 'centrifugo-bench-shards-'));
      try {
        const runId = 'fixture-sharded';
        const startedAt = new Date(Date.UTC(2026, 8, 1, 10, 3, 0));
        const shards = {
          '1': writeFixtureRun(path.join(root, '1'), { runId, startedAt, seconds: 12, seed: 3 }),
          '2': writeFixtureRun(path.join(root, '2'), { runId, startedAt, seconds: 6, faultAt: 4, seed: 4 }),
        };
        for (const [shard, truth] of Object.entries(shards)) await loadRunDir(truth.dir, engine.target(db), { shard });
        assert.notEqual(shards['1'].lost, shards['2'].lost);
        assert.notEqual(shards['1'].deliveries, shards['2'].deliveries);

        const all = allDashboardQueries();
        const pick = (dashboard: string, where: string) => {
          const query = all.find((q) => q.dashboard === dashboard && q.where.startsWith(where));
          assert.ok(query, `${dashboard} ${where}`);
          return query;
        };
        const result = async (dashboard: string, where: string, shard: string[], run = [runId]) => {
          const context: GrafanaQueryContext = {
            // From before the fixture runs (10:00, 10:01): the unsharded check below reads one of them.
            from: new Date(startedAt.getTime() - 300_000),
            to: new Date(startedAt.getTime() + 80_000),
            intervalMs: 1000, // rates are per second: summed at 1 s they are counts
            variables: {
              run: { current: run, options: run },
              mode: { current: ['$__all'], options: [] },
              shard: { current: shard, options: ['1', '2'] },
            },
          };
          const [outcome] = await runDashboardQueries(client, [pick(dashboard, where)], context);
          assert.equal(outcome?.error, null, outcome?.sql);
          return rows<Record<string, number | string>>(client, outcome!.sql);
        };
        const sum = (list: Record<string, number | string>[], column: string) =>
          list.reduce((n, r) => n + Number(r[column] ?? 0), 0);

        // The variable lists the run's shards; a run that was not sharded has one, 'none'.
        const listed = await result('run-overview', 'variable shard', ['$__all']);
        assert.deepEqual(
          listed.map((r) => [r.value, r.text]),
          [
            ['1', 'shard 1'],
            ['2', 'shard 2'],
          ],
        );
        const unsharded = await result('run-overview', 'variable shard', ['$__all'], [infos[0]!.runId]);
        assert.deepEqual(
          unsharded.map((r) => [r.value, r.text]),
          [['none', 'not sharded']],
        );

        const failed = (truth: FixtureTruth) => Object.values(truth.pushesFailed).reduce((a, b) => a + b, 0);
        const lostRates = ['delivery-integrity', 'panel "Lost, duplicated, reordered, recovered per second"'] as const;
        const heatmap = ['delivery-latency', 'panel "Delivery latency heatmap"'] as const;
        const ledgerFailed = ['push-pipeline', 'panel "Failed"'] as const;
        for (const [selection, expected] of [
          [['1'], [shards['1']]],
          [['2'], [shards['2']]],
          [
            ['1', '2'],
            [shards['1'], shards['2']],
          ],
          [['$__all'], [shards['1'], shards['2']]],
        ] as [string[], FixtureTruth[]][]) {
          const label = `shard ${selection.join(',')}`;
          const total = (f: (truth: FixtureTruth) => number) => expected.reduce((n, truth) => n + f(truth), 0);
          assert.equal(
            sum(await result(...lostRates, selection), 'lost'),
            total((x) => x.lost),
            `${label}: lost`,
          );
          assert.equal(
            sum(await result(...heatmap, selection), 'deliveries'),
            total((x) => x.deliveries),
            `${label}: deliveries in the heatmap`,
          );
          assert.equal(
            Number((await result(...ledgerFailed, selection))[0]?.failed),
            total(failed),
            `${label}: failed`,
          );
        }
        // Per shard: one series per selected shard.
        const perShard = async (selection: string[]) => [
          ...new Set(
            (await result('delivery-latency', 'panel "Delivery p99 per shard"', selection)).map((r) => r.shard),
          ),
        ];
        assert.deepEqual((await perShard(['$__all'])).sort(), ['shard 1', 'shard 2']);
        assert.deepEqual(await perShard(['2']), ['shard 2']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  );

  await t.test(`${engine.label}: an additive migration keeps old runs readable and old writers working`, async () => {
    const upgradeDb = `${db}_upgrade`;
    const run = runs[0]!;
    const info = readRunInfo(run.dir);
    await loadRunDir(run.dir, engine.target(upgradeDb));
    const v2 = [
      ...MIGRATIONS,
      {
        version: SCHEMA_VERSION + 1,
        name: 'test: a new column',
        steps: [
          {
            kind: 'addColumn' as const,
            table: 'trend_seconds' as const,
            column: 'test_extra',
            type: "String DEFAULT 'x'",
          },
        ],
      },
    ];
    const upgraded = await connectResults(engine.target(upgradeDb), { migrate: false });
    assert.deepEqual(await migrate(upgraded, v2), [SCHEMA_VERSION + 1]);
    assert.deepEqual(await migrate(upgraded, v2), []);
    await upgraded.close();
    const before = expectedRowCounts(run.dir).trend_seconds;
    const [old] = await rows<{ n: number; extra: string }>(
      client,
      `SELECT count() AS n, any(test_extra) AS extra FROM ${upgradeDb}.trend_seconds WHERE run_id = ${sqlString(info.runId)}`,
    );
    assert.equal(Number(old?.n), before);
    assert.equal(old?.extra, 'x');
    // This harness (which knows only v1) still loads into the upgraded database.
    await loadRunDir(run.dir, engine.target(upgradeDb));
    assert.deepEqual(await countsOf(client, upgradeDb, info.runId), withoutMeta(expectedRowCounts(run.dir)));
    await client.command({ query: `DROP DATABASE IF EXISTS ${upgradeDb}` });
  });
}
