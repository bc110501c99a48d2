/**
 * `baseline` with a ClickHouse URL that cannot be used: bad input, refused (exit 2) before any file is
 * written. ClickHouse itself: harness/gate/baselines/clickhouse-copy*.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { UserError } from '../../common/errors.ts';
import { baselineSave, baselineShow } from './baseline.ts';

let root: string;
let runDir: string;
const savedEnv = process.env.CENTRIFUGO_BENCH_CLICKHOUSE_URL;

before(async () => {
  delete process.env.CENTRIFUGO_BENCH_CLICKHOUSE_URL;
  root = await mkdtemp(path.join(os.tmpdir(), 'cb-baseline-clickhouse-'));
  // The URL is checked before any run is read, so the run need not exist.
  runDir = path.join(root, 'results', '20261123-120001-r1');
});
after(async () => {
  if (savedEnv !== undefined) process.env.CENTRIFUGO_BENCH_CLICKHOUSE_URL = savedEnv;
  await rm(root, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => assert.fail('expected a UserError'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof UserError, String(error));
  assert.equal(error.exitCode, 2);
  return error.message;
}

test('a malformed or remote ClickHouse URL is refused before the baseline is written', async () => {
  const dir = path.join(root, 'store');
  assert.match(await refusal(baselineSave([runDir], { dir, clickhouseUrl: 'not a url' })), /not a URL/);
  assert.match(
    await refusal(baselineSave([runDir], { dir, clickhouseUrl: 'http://192.0.2.10:8123/bench' })),
    /--allow-remote-targets/,
  );
  process.env.CENTRIFUGO_BENCH_CLICKHOUSE_URL = 'tcp://127.0.0.1:9000/bench';
  try {
    assert.match(await refusal(baselineSave([runDir], { dir })), /must be http/);
  } finally {
    delete process.env.CENTRIFUGO_BENCH_CLICKHOUSE_URL;
  }
  assert.equal(existsSync(dir), false, 'nothing written');
});

test('`show --from clickhouse` needs a ClickHouse; --from takes files or clickhouse', async () => {
  assert.match(await refusal(baselineShow('fanout-smoke', { from: 'clickhouse' })), /no ClickHouse configured/);
  assert.match(await refusal(baselineShow('fanout-smoke', { from: 'redis' })), /--from redis: use files or clickhouse/);
});
