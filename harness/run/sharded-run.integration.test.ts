/**
 * A distributed run on this box, end to end through the CLI as users drive it: one held stack (`stack up`), a
 * coordinator and shard processes (`run --shard i/n`) of a small scenario, merged by the coordinator.
 *
 * - 3 shards owe, deliver, lose and duplicate exactly what one process running the same scenario does; each
 *   writes to its own results folder (as pods do) and sends it to the coordinator, which merges from its own;
 * - a shard killed mid-run: the merged run is invalid naming it, the coordinator exits 3, the other shards stop
 *   cleanly (exit 3, their folders written), nothing is left running;
 * - a shard running another scenario is refused: exit 2, naming both hashes; bad shard flags are one line each.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ExitCode } from '../common/exit-codes.ts';
import { connectResults } from '../results/clickhouse/index.ts';
import {
  deliveryCounts as counts,
  readSummary,
  ShardedCliSession,
  smallBroadcastSets,
  until,
} from './testing/sharded-cli.ts';

const session = new ShardedCliSession('cb-sharded-');
const RESULTS = session.results;
const STACK_FILE = path.join(session.stacks, 'default.json');
const cli = (args: string[], env: Record<string, string> = {}) => session.cli(args, env);

/** The small broadcast workload against the held stack: 90 subscribers, `rate` a second for `seconds`. */
const scenarioSets = (seconds: number, rate = 6) => smallBroadcastSets(STACK_FILE, seconds, rate);

const coordinator = (runId: string, shards: number, sets: string[], extra: string[] = []) =>
  session.coordinate('scenarios/smoke.ts', shards, runId, [...sets, ...extra]);

const shard = (
  index: number,
  count: number,
  url: string,
  runId: string,
  sets: string[],
  env = {},
  options: { monotonicOffsetS?: number } = {},
) => session.shard('scenarios/smoke.ts', index, count, url, runId, sets, env, options);

let stackHolder: ReturnType<typeof cli> | undefined;
before(async () => {
  // ClickHouse beside Centrifugo: the first test's shards and coordinator write their rows there.
  const up = cli(['stack', 'up', '--no-setup', '--engine', 'memory', '--services', 'clickhouse']);
  assert.equal(await up.exit, ExitCode.ok, up.stderr());
  stackHolder = up;
  session.exempt(up); // the stack outlives the tests until `after`
});

after(async () => {
  const down = cli(['stack', 'down']);
  await down.exit;
  if (stackHolder) session.include(stackHolder);
  await session.assertNothingLeft();
  session.remove();
});

test('3 shards, each with its own results folder (pods), owe and deliver exactly what one process does, one with its clock 250 ms off (test option), one in a time namespace an hour off; they send their folders and the coordinator merges', async () => {
  const sets = scenarioSets(3);
  const single = cli(['run', 'scenarios/smoke.ts', '--no-thresholds', '--no-report', ...sets]);
  assert.equal(await single.exit, ExitCode.ok, single.stderr());
  // Rows to the stack's ClickHouse (`--out clickhouse`: the external stack file's): each shard its own, under its
  // index; the coordinator the merged run's row.
  const { run: coord, url } = await coordinator('three', 3, sets, ['--merge', '--out', 'clickhouse']);
  // Shard 2's whole clock is 250 ms ahead (test-only option), and shard 1 runs in a Linux time namespace whose
  // CLOCK_MONOTONIC — the run clock of the shard and of every worker it starts — is an hour ahead of this host's,
  // as another machine's would be: each offset estimate must take its skew out again.
  const skew = { CENTRIFUGO_BENCH_TEST_CLOCK_SKEW_MS: '250' };
  const HOUR_S = 3600;
  // Like pods, no shard shares the coordinator's disk: each writes to its own results folder and uploads it.
  const podResults = (index: number) => ({ CENTRIFUGO_BENCH_RESULTS: path.join(RESULTS, `pod-${index}`) });
  const shards = [0, 1, 2].map((index) =>
    shard(
      index,
      3,
      url,
      'three',
      [...sets, '--out', 'clickhouse'],
      { ...podResults(index), ...(index === 2 ? skew : {}) },
      index === 1 ? { monotonicOffsetS: HOUR_S } : {},
    ),
  );
  for (const child of shards) assert.equal(await child.exit, ExitCode.ok, child.stderr());
  assert.equal(await coord.exit, ExitCode.ok, coord.stderr());

  for (const index of [0, 1, 2]) {
    const own = path.join(podResults(index).CENTRIFUGO_BENCH_RESULTS, 'three', 'shards', String(index));
    assert.ok(existsSync(path.join(own, 'summary.json')), `shard ${index} wrote its own folder`);
    assert.ok(
      existsSync(path.join(RESULTS, 'three', 'shards', String(index), 'shard.json')),
      `shard ${index}'s folder reached the coordinator`,
    );
  }
  const merged = readSummary(path.join(RESULTS, 'three'));
  const one = readSummary(session.singleRunDir());
  assert.equal(merged.valid, true, merged.invalidReasons.join('; '));
  assert.deepEqual(counts(merged), counts(one));
  assert.equal(counts(merged).messages_expected, 6 * 3 * 90);
  assert.equal(counts(merged).messages_lost, 0);
  const latency = merged.metrics.delivery_latency;
  assert.ok(latency?.type === 'trend' && latency.count === counts(merged).messages_delivered);
  assert.match(readFileSync(path.join(RESULTS, 'three', 'junit.xml'), 'utf8'), /testsuite/);
  assert.ok(
    merged.timeline.some((event) => /shard 2 clock/.test(event.name)),
    'each shard reports its clock offset',
  );
  // The skewed shards measured their clocks 250 ms and an hour off, each within its stated uncertainty ...
  for (const [index, skewUs] of [
    [2, 250_000],
    [1, HOUR_S * 1e6],
  ] as const) {
    const record = JSON.parse(
      readFileSync(path.join(RESULTS, 'three', 'shards', String(index), 'shard.json'), 'utf8'),
    ) as { clock: { before: { offsetUs: number; uncertaintyUs: number } } };
    const { offsetUs, uncertaintyUs } = record.clock.before;
    assert.ok(Math.abs(offsetUs + skewUs) <= uncertaintyUs, `shard ${index}: offset ${offsetUs} µs ± ${uncertaintyUs}`);
  }
  // ... so deliveries between them and the others are not 250 ms (or an hour) off: uncorrected, two thirds of all
  // deliveries (those published on one shard to another's subscribers) would be.
  assert.ok(latency.p90 < 200, `p90 ${latency.p90} ms`);
  await session.assertNothingLeft();

  // ClickHouse: one `runs` row, the merged run's; one `shard_runs` row per shard; the shards' per-second rows
  // under their index add up to the merged counts — and loading the merged folder again changes nothing.
  const clickhouse = JSON.parse(readFileSync(STACK_FILE, 'utf8')).endpoints.clickhouse.url as string;
  const db = await connectResults(clickhouse);
  const query = async <T>(sql: string) =>
    (await (await db.client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[];
  const inClickHouse = async () => ({
    runs: await query<{ source: string; messages_delivered: number; messages_expected: number; valid: number }>(
      `SELECT source, messages_delivered, messages_expected, valid FROM ${db.table('runs')} FINAL WHERE run_id = 'three'`,
    ),
    shards: await query<{ shard: string; messages_delivered: number }>(
      `SELECT shard, messages_delivered FROM ${db.table('shard_runs')} FINAL WHERE run_id = 'three' ORDER BY shard`,
    ),
    delivered: await query<{ shard: string; n: number }>(
      `SELECT shard, sum(value) AS n FROM ${db.table('value_seconds')} WHERE run_id = 'three' AND kind = 'counter' AND metric = 'messages_delivered' GROUP BY shard ORDER BY shard`,
    ),
    thresholds: await query<{ n: number }>(`SELECT count() AS n FROM ${db.table('thresholds')} WHERE run_id = 'three'`),
  });
  try {
    const rows = await inClickHouse();
    const delivered = counts(merged).messages_delivered;
    assert.deepEqual(rows.runs, [
      { source: 'merge', messages_delivered: delivered, messages_expected: delivered, valid: 1 },
    ]);
    assert.deepEqual(
      rows.shards.map((row) => row.shard),
      ['0', '1', '2'],
    );
    const perShard = [0, 1, 2].map((index) =>
      counts(readSummary(path.join(RESULTS, 'three', 'shards', String(index)))),
    );
    assert.deepEqual(
      rows.shards.map((row) => row.messages_delivered),
      perShard.map((c) => c.messages_delivered),
    );
    assert.deepEqual(
      rows.delivered.map((row) => row.shard),
      ['0', '1', '2'],
    );
    assert.equal(
      rows.delivered.reduce((sum, row) => sum + Number(row.n), 0),
      delivered,
      'the shards’ seconds sum to the merged run',
    );
    assert.equal(Number(rows.thresholds[0]!.n), merged.thresholds.length, 'the merged run’s thresholds, once');
    const load = cli(['results', 'load', 'three', '--clickhouse-url', clickhouse]);
    assert.equal(await load.exit, ExitCode.ok, load.stderr());
    const again = await inClickHouse();
    assert.deepEqual(
      again.runs.map((row) => row.source),
      ['merge'],
    );
    assert.equal(
      again.delivered.reduce((sum, row) => sum + Number(row.n), 0),
      delivered,
      'no second copy',
    );
    assert.equal(Number(again.thresholds[0]!.n), merged.thresholds.length);
  } finally {
    await db.close();
  }
});

test('a shard killed mid-run: the merged run is invalid naming it, the others stop cleanly, nothing is left', async () => {
  const sets = scenarioSets(30);
  const { run: coord, url } = await coordinator('killed', 3, sets, ['--merge', '--heartbeat-timeout', '2']);
  const shards = [0, 1, 2].map((index) => shard(index, 3, url, 'killed', sets));
  await until(
    () => shards[1]!.stderr().includes('publish: '),
    120_000,
    'shard 1 to publish',
    () => shards.map((child) => child.stderr()).join('\n'),
  );
  shards[1]!.child.kill('SIGKILL');
  assert.equal(await coord.exit, ExitCode.invalidRun, `${coord.stderr()}\n${coord.stdout()}`);
  for (const index of [0, 2]) assert.equal(await shards[index]!.exit, ExitCode.invalidRun, shards[index]!.stderr());
  const merged = readSummary(path.join(RESULTS, 'killed'));
  assert.equal(merged.valid, false);
  assert.ok(
    merged.invalidReasons.some((reason) => /shard 1 /.test(reason)),
    `names shard 1: ${merged.invalidReasons.join('; ')}`,
  );
  await session.assertNothingLeft();
});

test('another scenario on one shard: exit 2 naming both hashes; bad shard flags: one line, exit 2', async () => {
  const { run: coord, url } = await coordinator('mismatch', 2, scenarioSets(3), ['--registration-timeout', '10']);
  const other = shard(0, 2, url, 'mismatch', scenarioSets(3, 8));
  assert.equal(await other.exit, ExitCode.badInput);
  assert.match(other.stderr(), /scenario hash mismatch: coordinator [0-9a-f]{64}, shard [0-9a-f]{64}/);
  assert.equal(await coord.exit, ExitCode.invalidRun);

  for (const [args, message] of [
    [['--shard', '3/3', '--coordinator', url, '--run-id', 'x'], /shard index 3 is out of range 0\.\.2/],
    [['--shard', '0/3'], /--shard needs --coordinator/],
    [
      ['--shard', '0/3', '--shards', '2', '--coordinator', url, '--run-id', 'x'],
      /says 3 shards but the shard count is 2/,
    ],
    [
      ['--shard', '0/3', '--coordinator', 'http://127.0.0.1:9', '--run-id', 'x'],
      /coordinator at http:\/\/127\.0\.0\.1:9 is unreachable/,
    ],
  ] as const) {
    const bad = cli(['run', 'scenarios/smoke.ts', ...args, ...scenarioSets(3)]);
    assert.equal(await bad.exit, ExitCode.badInput, `${args.join(' ')}: ${bad.stderr()}`);
    assert.match(bad.stderr(), message);
  }
  await session.assertNothingLeft();
});
