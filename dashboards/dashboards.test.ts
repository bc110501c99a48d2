import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { METRICS } from '../harness/common/metrics-catalogue.ts';
import { schemaColumns } from '../harness/results/clickhouse/index.ts';
import { staleFiles } from './build.ts';
import { DASHBOARDS } from './dashboards.ts';
import { allDashboardQueries } from './lib/dashboard-queries.ts';
import { DATASOURCE_UID, PLUGIN_ID } from './lib/grafana.ts';
import { expandGrafanaSql, UNSUPPORTED_ON_18_16 } from './lib/grafana-macros.ts';
import { SHARD_FILTER } from './lib/sql.ts';
import { identifiersOf } from './lib/sql-identifiers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const queries = allDashboardQueries();

describe('dashboards as code', () => {
  test('dashboards/generated is what the code generates (run `node --import tsx dashboards/build.ts`)', () => {
    assert.deepEqual(staleFiles(), []);
  });

  test('six dashboards with unique uids; panels numbered, laid out on the 24-column grid', () => {
    const dashboards = Object.values(DASHBOARDS).map((build) => build());
    assert.equal(dashboards.length, 6);
    assert.equal(new Set(dashboards.map((d) => d.uid)).size, dashboards.length);
    for (const d of dashboards) {
      const ids = (d.panels ?? []).map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, `${d.uid}: duplicate panel ids`);
      for (const panel of d.panels ?? []) {
        const pos = panel.gridPos!;
        assert.ok(pos.x >= 0 && pos.x + pos.w <= 24, `${d.uid} "${panel.title}" overflows the grid`);
        const targets = (panel as { targets?: { refId: string; datasource?: { uid?: string } }[] }).targets ?? [];
        assert.ok(targets.length > 0, `${d.uid} "${panel.title}" has no query`);
        assert.equal(new Set(targets.map((t) => t.refId)).size, targets.length);
        for (const t of targets) assert.equal(t.datasource?.uid, DATASOURCE_UID);
      }
      const names = (d.templating?.list ?? []).map((v) => v.name);
      assert.deepEqual(names, ['mode', 'run', 'shard'], `${d.uid}: template variables`);
    }
  });

  test('the provisioned datasource has the uid the dashboards reference', () => {
    const file = parse(readFileSync(path.join(here, 'provisioning/datasources/clickhouse.yaml'), 'utf8')) as {
      datasources: { uid: string; type: string; jsonData: Record<string, unknown> }[];
    };
    assert.equal(file.datasources[0]?.uid, DATASOURCE_UID);
    assert.equal(file.datasources[0]?.type, PLUGIN_ID);
    const provider = parse(readFileSync(path.join(here, 'provisioning/dashboards/centrifugo-bench.yaml'), 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    assert.equal(provider.providers[0]?.type, 'file');
  });

  test('no macro that 18.16 cannot run; every query expands', () => {
    const context = {
      from: new Date('2026-01-01T00:00:00Z'),
      to: new Date('2026-01-01T01:00:00Z'),
      intervalMs: 5000,
      variables: {
        run: { current: ['r1'], options: ['r1'] },
        mode: { current: ['$__all'], options: ['api'] },
        shard: { current: ['1', 'none'], options: ['none', '1', '2'] },
      },
    };
    for (const q of queries) {
      for (const macro of UNSUPPORTED_ON_18_16) {
        assert.ok(!q.rawSql.includes(macro), `${q.dashboard} ${q.where} uses ${macro}`);
      }
      const sql = expandGrafanaSql(q.rawSql, context);
      assert.ok(!/\$/.test(sql), `${q.dashboard} ${q.where}: unexpanded $ in ${sql}`);
    }
  });

  test('every query on a table whose rows carry `shard` filters by the shard variable', () => {
    const sharded = [...schemaColumns()]
      .filter(([table, columns]) => columns.has('shard') && table !== 'shard_runs')
      .map(([table]) => table);
    assert.ok(sharded.includes('trend_seconds') && sharded.includes('events'), sharded.join(', '));
    let filtered = 0;
    for (const q of queries) {
      if (q.where === 'variable shard') continue; // it lists the shards: it cannot filter by itself
      const reads = sharded.filter((table) => new RegExp(`\\bFROM\\s+${table}\\b`).test(q.rawSql));
      if (reads.length === 0) continue;
      filtered++;
      const filters = q.rawSql.split(SHARD_FILTER).length - 1;
      assert.equal(
        filters,
        reads.length,
        `${q.dashboard} ${q.where} reads ${reads.join(', ')}: shard filter x${filters}`,
      );
    }
    assert.ok(filtered > 30, `expected most queries to read sharded tables, found ${filtered}`);
  });

  test('the shard filter: All is no filter (the merged view), a selection is an IN list', () => {
    const base = { from: new Date(0), to: new Date(60_000), intervalMs: 1000 };
    const run = { current: ['r1'], options: ['r1'] };
    const all = expandGrafanaSql(SHARD_FILTER, {
      ...base,
      variables: { run, shard: { current: ['$__all'], options: ['1', '2'] } },
    });
    assert.equal(all, '1=1');
    const some = expandGrafanaSql(SHARD_FILTER, {
      ...base,
      variables: { run, shard: { current: ['2', 'none'], options: ['none', '1', '2'] } },
    });
    assert.equal(some, "if(shard = '', 'none', shard) IN ('2','none')");
  });

  test('every metric a dashboard names is in metrics-catalogue.ts', () => {
    let named = 0;
    for (const q of queries) {
      for (const m of q.rawSql.matchAll(/\bmetric\s*(?:=|IN)\s*\(?([^)\n]*?)\)?(?:\s|$)/g)) {
        for (const literal of m[1]!.matchAll(/'([^']+)'/g)) {
          named++;
          assert.ok(Object.hasOwn(METRICS, literal[1]!), `${q.dashboard} ${q.where}: unknown metric ${literal[1]}`);
        }
      }
    }
    assert.ok(named > 30, `expected the dashboards to name metrics, found ${named}`);
  });

  test('every column and table a dashboard names exists in the schema', () => {
    const tables = schemaColumns();
    const known = new Set<string>([...tables.keys(), ...[...tables.values()].flatMap((c) => [...c])]);
    for (const q of queries) {
      const unknown = [...identifiersOf(q.rawSql)].filter((id) => !known.has(id));
      assert.deepEqual(unknown, [], `${q.dashboard} ${q.where}: not in the schema: ${unknown.join(', ')}`);
    }
  });

  test('the identifier check catches a misspelt column', () => {
    const tables = schemaColumns();
    const known = new Set<string>([...tables.keys(), ...[...tables.values()].flatMap((c) => [...c])]);
    const ids = identifiersOf("SELECT toDateTime(t) AS time, sum(vlaue) AS v FROM value_seconds WHERE metric = 'x'");
    assert.deepEqual(
      [...ids].filter((id) => !known.has(id)),
      ['vlaue'],
    );
  });
});
