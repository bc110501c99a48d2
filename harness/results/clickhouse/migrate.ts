import type { ClickHouseClient } from '@clickhouse/client';
import { log } from '../../common/log.ts';
import type { Migration } from './schema.ts';
import { sqlString } from './sql.ts';

interface MigrationTarget {
  client: ClickHouseClient;
  database: string;
}

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  return (await result.json()) as T[];
}

async function columnExists(target: MigrationTarget, table: string, column: string): Promise<boolean> {
  const found = await rows<{ n: number }>(
    target.client,
    `SELECT count() AS n FROM system.columns WHERE database = ${sqlString(target.database)} ` +
      `AND table = ${sqlString(table)} AND name = ${sqlString(column)}`,
  );
  return Number(found[0]?.n ?? 0) > 0;
}

/**
 * Brings the database to the newest schema: creates it, then applies every migration not yet recorded
 * in `schema_migrations`, in order. Safe to run from several processes at once (every step is
 * idempotent) and on every connect. Returns the versions it applied.
 */
export async function migrate(target: MigrationTarget, migrations: readonly Migration[]): Promise<number[]> {
  const { client, database: db } = target;
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, applied_us UInt64) ENGINE = MergeTree ORDER BY version`,
  });
  const applied = new Set(
    (await rows<{ version: number }>(client, `SELECT DISTINCT version FROM ${db}.schema_migrations`)).map((r) =>
      Number(r.version),
    ),
  );
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    // Additive migrations only: an older harness can still write the columns it knows.
    log.warn(
      'results',
      `ClickHouse schema is v${newest}, newer than this harness's v${known}; writing what v${known} knows`,
    );
  }
  const done: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    for (const step of migration.steps) {
      if (step.kind === 'sql') {
        await client.command({ query: step.sql(db) });
        continue;
      }
      if (await columnExists(target, step.table, step.column)) continue;
      try {
        await client.command({ query: `ALTER TABLE ${db}.${step.table} ADD COLUMN ${step.column} ${step.type}` });
      } catch (error) {
        // Another process added it between the check and the ALTER.
        if (!(await columnExists(target, step.table, step.column))) throw error;
      }
    }
    await client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: migration.version, name: migration.name, applied_us: Date.now() * 1000 }],
      format: 'JSONEachRow',
    });
    done.push(migration.version);
  }
  if (done.length > 0) log.info('results', `ClickHouse schema: applied migration(s) ${done.join(', ')} to ${db}`);
  return done;
}
