/**
 * `baseline save | promote | list | show` with ClickHouse configured, against the local stack's ClickHouse
 * 18.16, from the command line: the rows follow the files; ClickHouse unreachable → the save succeeds with one
 * warning line; a database made by the previous schema version (v1) gets the baselines table on first use.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { CLIENT_SETTINGS, MIGRATIONS } from '../../results/clickhouse/index.ts';
import { withStack } from '../../stack/testing.ts';
import { writeBaselineRun } from './testing/baseline-runs.ts';

const execute = promisify(execFile);
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/bin.mjs');

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await (await client.query({ query, format: 'JSONEachRow' })).json()) as T[];
}

test('baselines in ClickHouse 18.16 (local stack), from the command line', { timeout: 180_000 }, async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'cb-baselines-ch-'));
  // No `default` stack and no URL from the environment: ClickHouse is only what a test names.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CENTRIFUGO_BENCH_QUIET: '1',
    CENTRIFUGO_BENCH_RESULTS: path.join(root, 'results'),
  };
  delete env.CENTRIFUGO_BENCH_CLICKHOUSE_URL;
  const cli = (args: string[]) => execute(process.execPath, [BIN, ...args], { env, timeout: 60_000 });
  let runs = 0;
  const run = (latencyMs: number) => {
    runs++;
    return writeBaselineRun(path.join(root, 'results'), {
      runId: `20261123-1200${String(runs).padStart(2, '0')}-r${runs}`,
      latencyMs,
    });
  };
  try {
    await withStack({ services: ['clickhouse'] }, async (stack) => {
      const url = stack.endpoints.clickhouse!.url;
      t.diagnostic(`ClickHouse ${stack.versions.clickhouse} at ${url}`);
      const client = createClient({ url, clickhouse_settings: CLIENT_SETTINGS });
      try {
        await t.test('save twice (the second without promoting) and promote: the rows match the files', async () => {
          const dir = path.join(root, 'store-1');
          const chUrl = `${url}/baselines`;
          const saveArgs = ['baseline', 'save', '--dir', dir, '--clickhouse-url', chUrl, '--json'];
          const first = JSON.parse((await cli([...saveArgs, await run(4), await run(6)])).stdout);
          assert.deepEqual(first.clickhouse, { url: chUrl, savedRows: 1, promoted: false });
          const second = JSON.parse((await cli([...saveArgs, '--no-promote', await run(9)])).stdout);
          const promoted = await cli(['baseline', 'promote', second.entry.id, '--dir', dir, '--clickhouse-url', chUrl]);
          assert.match(promoted.stdout, /is now current\n {2}copied to ClickHouse at .*: 1 row\(s\)/);

          const folder = first.folder as string;
          const history = (await readFile(path.join(folder, 'history.ndjson'), 'utf8'))
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as { id: string; identityHash: string; harnessVersion: string });
          const current = JSON.parse(await readFile(path.join(folder, 'current.json'), 'utf8')) as { id: string };
          const stored = await rows<{
            entry_id: string;
            event: string;
            made_current: number;
            identity_hash: string;
            harness_version: string;
            entry_json: string;
          }>(
            client,
            'SELECT entry_id, event, made_current, identity_hash, harness_version, entry_json FROM baselines.baseline_entries ORDER BY event_us',
          );
          assert.deepEqual(
            stored.map((r) => [r.entry_id, r.event, Number(r.made_current)]),
            [
              [history[0]!.id, 'saved', 1],
              [history[1]!.id, 'saved', 0],
              [current.id, 'promoted', 1],
            ],
          );
          assert.equal(current.id, second.entry.id);
          for (const [i, row] of stored.slice(0, 2).entries()) {
            assert.equal(row.identity_hash, history[i]!.identityHash);
            assert.equal(row.harness_version, history[i]!.harnessVersion);
            assert.deepEqual(JSON.parse(row.entry_json), history[i], 'entry_json is the file entry');
          }

          const list = await cli(['baseline', 'list', '--dir', dir, '--clickhouse-url', chUrl]);
          assert.match(list.stdout, /clickhouse\n.*fanout-smoke\/default .* same \(2\)\n$/s);
          const shown = await cli(['baseline', 'show', 'fanout-smoke', '--dir', dir, '--clickhouse-url', chUrl]);
          assert.match(shown.stdout, /ClickHouse \(.*\): the same history \(2 entries, current /);
          // A CI job without the baselines folder reads the history from ClickHouse.
          const fromClickHouse = JSON.parse(
            (
              await cli([
                'baseline',
                'show',
                'fanout-smoke',
                '--from',
                'clickhouse',
                '--clickhouse-url',
                chUrl,
                '--json',
              ])
            ).stdout,
          );
          assert.deepEqual(
            fromClickHouse.history.map((e: { id: string }) => e.id),
            history.map((e) => e.id),
          );
          assert.equal(fromClickHouse.current.id, current.id);
        });

        await t.test('ClickHouse unreachable: the save succeeds with one warning line, exit 0', async () => {
          const dir = path.join(root, 'store-2');
          const deadUrl = `http://127.0.0.1:${await closedPort()}/bench`;
          const saved = await cli(['baseline', 'save', '--dir', dir, '--clickhouse-url', deadUrl, await run(5)]);
          assert.match(saved.stdout, /^saved fanout-smoke\/default entry \S+: 1 run\(s\)/);
          const warnings = saved.stderr.trim().split('\n');
          assert.equal(warnings.length, 1, saved.stderr);
          assert.match(
            warnings[0]!,
            /not copied to ClickHouse at http:\/\/127\.0\.0\.1:\d+\/bench .*saved in its files/,
          );
          assert.equal(
            (await readFile(path.join(dir, 'fanout-smoke/default/history.ndjson'), 'utf8')).split('\n').length,
            2,
          );
          // `list` says what ClickHouse lacks once it is there; the next save copies it.
          const list = await cli(['baseline', 'list', '--dir', dir, '--clickhouse-url', `${url}/store2`]);
          assert.match(list.stdout, /0 entries, 1 missing, current differs|0 entries, 1 missing/);
          assert.match(list.stdout, /fanout-smoke\/default: missing in ClickHouse: \S+/);
          const next = JSON.parse(
            (await cli(['baseline', 'save', '--dir', dir, '--clickhouse-url', `${url}/store2`, '--json', await run(5)]))
              .stdout,
          );
          assert.equal(next.clickhouse.savedRows, 2, 'the missed entry and the new one');
          const relisted = await cli(['baseline', 'list', '--dir', dir, '--clickhouse-url', `${url}/store2`]);
          assert.match(relisted.stdout, /same \(2\)/);
        });

        await t.test('a database made by schema v1 gets the baselines table on first use', async () => {
          const database = 'baselines_from_v1';
          // What the previous harness created: schema v1 (as migrate.ts records it), with a run in it.
          const v1 = MIGRATIONS.find((m) => m.version === 1)!;
          await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
          await client.command({
            query: `CREATE TABLE ${database}.schema_migrations (version UInt32, name String, applied_us UInt64) ENGINE = MergeTree ORDER BY version`,
          });
          for (const step of v1.steps) if (step.kind === 'sql') await client.command({ query: step.sql(database) });
          await client.insert({
            table: `${database}.schema_migrations`,
            values: [{ version: 1, name: v1.name, applied_us: 0 }],
            format: 'JSONEachRow',
          });
          await client.command({
            query: `INSERT INTO ${database}.runs (run_id, updated_us, scenario) VALUES ('an-old-run', 1, 'smoke')`,
          });
          const dir = path.join(root, 'store-3');
          const saved = JSON.parse(
            (
              await cli([
                'baseline',
                'save',
                '--dir',
                dir,
                '--clickhouse-url',
                `${url}/${database}`,
                '--json',
                await run(5),
              ])
            ).stdout,
          );
          assert.equal(saved.clickhouse.savedRows, 1);
          const versions = await rows<{ version: number }>(
            client,
            `SELECT DISTINCT version FROM ${database}.schema_migrations ORDER BY version`,
          );
          assert.deepEqual(
            versions.map((v) => Number(v.version)),
            MIGRATIONS.map((m) => m.version),
          );
          const [count] = await rows<{ n: number }>(client, `SELECT count() AS n FROM ${database}.baseline_entries`);
          assert.equal(Number(count?.n), 1);
          const [old] = await rows<{ scenario: string }>(client, `SELECT scenario FROM ${database}.runs FINAL`);
          assert.equal(old?.scenario, 'smoke', 'the run v1 held is still there');
        });
      } finally {
        await client.close();
      }
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
