/**
 * Results in the local stack's ClickHouse 18.16: the engine suite (schema, load twice, live writer,
 * histogram SQL, every dashboard query — on fixture runs with known answers and on a real smoke run),
 * the `results load|list` commands, and files first — a run whose ClickHouse was unreachable keeps
 * complete files and loads later.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient } from '@clickhouse/client';
import type { TimeseriesPoint } from '../../common/summary-types.ts';
import { withStack } from '../../stack/testing.ts';
import { CLIENT_SETTINGS } from './connection.ts';
import { writeFixtureRun } from './fixture-run.ts';
import { createLiveWriter } from './live-writer.ts';
import { RUN_FILES } from './run-files.ts';
import { expectedRowCounts, runEngineSuite } from './testing/engine-suite.ts';
import { runsForTests } from './testing/fixtures.ts';

const run = promisify(execFile);
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/bin.mjs');
const SMOKE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scenarios/smoke.ts');

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function cli(args: string[], env: Record<string, string> = {}, timeout = 60_000) {
  return run(process.execPath, [BIN, ...args], {
    env: { ...process.env, CENTRIFUGO_BENCH_QUIET: '1', ...env },
    timeout,
  });
}

/**
 * What a clean smoke run cannot fill: panels of things that did not happen in it (losses, reconnects,
 * errors) and of pushes, which it does not send. The fixture runs fill those, with known answers.
 */
const EMPTY_AFTER_A_SMOKE_RUN =
  /^(push-pipeline |delivery-integrity panel "(Lost|Reconnect|Errors)|connections panel "Reconnects)/;

test('ClickHouse 18.16 (local stack)', { timeout: 240_000 }, async (t) => {
  const { root, runs } = runsForTests();
  try {
    // A real smoke run (its own stack, files only, 5 % of deliveries sampled) beside the fixtures.
    const before = new Set(readdirSync(root));
    await cli(
      ['run', SMOKE, '--no-setup', '--no-report', '--set', 'results.sampleRate=0.05'],
      { CENTRIFUGO_BENCH_RESULTS: root },
      120_000,
    );
    const smokeRun = readdirSync(root).filter((entry) => !before.has(entry));
    assert.equal(smokeRun.length, 1, `one new run folder in ${root}`);
    runs.push({ dir: path.join(root, smokeRun[0]!), emptyPanels: EMPTY_AFTER_A_SMOKE_RUN });
    await withStack({ services: ['clickhouse'] }, async (stack) => {
      const url = stack.endpoints.clickhouse!.url;
      t.diagnostic(`ClickHouse ${stack.versions.clickhouse} at ${url}`);
      const clients: ReturnType<typeof createClient>[] = [];
      try {
        await runEngineSuite(
          t,
          {
            label: '18.16',
            database: 'bench',
            target: (database) => `${url}/${database}`,
            queryClient: async (database) => {
              const client = createClient({ url, database, clickhouse_settings: CLIENT_SETTINGS });
              clients.push(client);
              return client;
            },
          },
          runs,
        );

        await t.test('18.16: `results load` twice and `results list` from the command line', async () => {
          const dir = runs[0]!.dir;
          const runId = path.basename(dir);
          const env = { CENTRIFUGO_BENCH_RESULTS: root };
          const first = await cli(['results', 'load', runId, '--clickhouse-url', `${url}/cli`, '--json'], env);
          const loaded = JSON.parse(first.stdout) as { rows: Record<string, number>; replacedRows: number };
          const expected = expectedRowCounts(dir);
          assert.equal(loaded.rows.trend_seconds, expected.trend_seconds);
          assert.equal(loaded.replacedRows, 0);
          const second = await cli(['results', 'load', dir, '--clickhouse-url', `${url}/cli`], env);
          assert.match(second.stdout, new RegExp(`loaded run ${runId} into cli .* replacing \\d+ earlier rows`));
          const list = await cli(['results', 'list', '--clickhouse-url', `${url}/cli`, '--json'], env);
          const listed = JSON.parse(list.stdout) as { runs: { runId: string; inClickHouse: boolean; dir: string }[] };
          const entry = listed.runs.find((r) => r.runId === runId);
          assert.ok(entry?.inClickHouse && entry.dir, JSON.stringify(listed));
          assert.ok(listed.runs.some((r) => r.runId === path.basename(runs[1]!.dir) && !r.inClickHouse));
          await assert.rejects(
            cli(['results', 'load', 'no-such-run', '--clickhouse-url', `${url}/cli`], env),
            (error: { code: number; stderr: string }) => error.code === 2 && /no run "no-such-run"/.test(error.stderr),
          );
        });

        await t.test('18.16: files first — ClickHouse down during the run, `results load` afterwards', async () => {
          // The run writes its files (here: the fixture) while its live writer points at a dead port.
          const fixture = writeFixtureRun(root, { runId: 'files-first', startedAt: new Date(), seconds: 15 });
          const writer = createLiveWriter(`http://127.0.0.1:${await closedPort()}/bench`, fixture.info, {
            flushIntervalMs: 50,
            requestTimeoutMs: 500,
          });
          const points = readFileSync(path.join(fixture.dir, RUN_FILES.timeseries), 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as TimeseriesPoint);
          for (const point of points) writer.point(point);
          const result = await writer.close(fixture.summary);
          assert.equal(result.complete, false);
          // The files are complete regardless …
          assert.equal(points.length, 15);
          assert.equal(expectedRowCounts(fixture.dir).trend_seconds, fixture.trendRows);
          // … and load once ClickHouse is there.
          const loaded = await cli(['results', 'load', fixture.dir, '--clickhouse-url', `${url}/bench`, '--json']);
          const rows = (JSON.parse(loaded.stdout) as { rows: Record<string, number> }).rows;
          assert.equal(rows.trend_seconds, fixture.trendRows);
          assert.equal(rows.value_seconds, fixture.valueRows);
          assert.equal(rows.deliveries, fixture.samples);
          assert.equal(rows.runs, 1);
        });
      } finally {
        for (const client of clients) await client.close();
      }
    });
  } finally {
    if (!process.env.CENTRIFUGO_BENCH_TEST_RUN_DIR) rmSync(root, { recursive: true, force: true });
  }
});
