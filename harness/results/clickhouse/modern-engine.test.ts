/**
 * The schema, the writer, the loader and every dashboard query on current ClickHouse, in process:
 * chDB (npm `chdb`, ClickHouse 26.x). The same suite runs against 18.16 in clickhouse.integration.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { CLIENT_SETTINGS } from './connection.ts';
import { runEngineSuite } from './testing/engine-suite.ts';
import { runsForTests } from './testing/fixtures.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'centrifugo-bench-chdb-'));
// chDB allows one data directory per process: one session, shared by the whole file. Its connection is
// typed against the deprecated @clickhouse/client-common, structurally equal at runtime: hence the cast.
type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
const client = createClient({
  connection: createChdbConnection({ path: dataDir }) as unknown as ClientConnection,
  clickhouse_settings: CLIENT_SETTINGS,
});
const { root, runs } = runsForTests();

after(async () => {
  await client.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (!process.env.CENTRIFUGO_BENCH_TEST_RUN_DIR) rmSync(root, { recursive: true, force: true });
});

test('current ClickHouse (chDB)', async (t) => {
  const version = await (await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json();
  t.diagnostic(`chDB ClickHouse ${(version[0] as { v: string }).v}`);
  await runEngineSuite(
    t,
    {
      label: 'chDB',
      database: 'bench',
      target: (database) => ({ client, database }),
      // The chDB session keeps `USE`: dashboard SQL names tables without a database, as Grafana's does.
      queryClient: async (database) => {
        await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
        await client.command({ query: `USE ${database}` });
        return client;
      },
    },
    runs,
  );
});
