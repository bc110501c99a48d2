/**
 * `results load|list` hold their ClickHouse URL to the loopback rule. The URLs here are 0.0.0.0 on a closed
 * port: refused by the rule, and even code without the rule would reach only this machine.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeFixtureRun } from '../../results/report/testing/write-fixture-run.ts';

const bin = fileURLToPath(new URL('../bin.mjs', import.meta.url));
const root = mkdtempSync(path.join(tmpdir(), 'results-cli-'));
let closedPort = 0;
before(async () => {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  closedPort = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
});
after(() => rmSync(root, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CENTRIFUGO_BENCH_CLICKHOUSE_URL: '', ...env, CENTRIFUGO_BENCH_RESULTS: root },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('results load refuses a non-loopback --clickhouse-url with exit 2 and names --allow-remote-targets', () => {
  writeFixtureRun(root, { runId: 'remote-load', durationS: 5 });
  const { code, stderr } = cli([
    'results',
    'load',
    'remote-load',
    '--clickhouse-url',
    `http://0.0.0.0:${closedPort}/bench`,
  ]);
  assert.equal(code, 2, stderr);
  assert.match(stderr, /^error: non-loopback target: --clickhouse-url → 0\.0\.0\.0; .*add --allow-remote-targets$/m);
});

test('results list refuses a non-loopback $CENTRIFUGO_BENCH_CLICKHOUSE_URL with exit 2', () => {
  const { code, stderr } = cli(['results', 'list'], {
    CENTRIFUGO_BENCH_CLICKHOUSE_URL: `http://0.0.0.0:${closedPort}/bench`,
  });
  assert.equal(code, 2, stderr);
  assert.match(stderr, /^error: non-loopback target: \$CENTRIFUGO_BENCH_CLICKHOUSE_URL → 0\.0\.0\.0; /m);
});
