/**
 * `run` end to end, asserting the documented exit codes: 0 pass, 99 a failed threshold, 3 an invalid
 * run (load generator saturated), 2 a bad scenario — and that every outcome leaves complete files.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ExitCode } from '../common/exit-codes.ts';
import type { RunSummary } from '../common/summary-types.ts';
import { BIN, scenarioFile, tempDir } from './testing.ts';

const small = (extra: string) => `{
  name: 'tiny',
  stack: { engine: 'memory' },
  workload: {
    subscribers: { count: 20, connectRate: 100 },
    publishers: { executor: 'constant-arrival-rate', rate: 10, duration: '3s', preAllocatedVUs: 2, maxVUs: 5 },
    drain: '2s',
    ${extra}
  },
  thresholds: THRESHOLDS,
  results: { report: false },
}`;

async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; results: string }> {
  const results = tempDir('cb-run-test-');
  const child = spawn(process.execPath, [BIN, 'run', '--no-setup', ...args], {
    env: { ...process.env, CENTRIFUGO_BENCH_RESULTS: results },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr, results };
}

function onlyRun(results: string): { dir: string; summary: RunSummary } {
  const runs = readdirSync(results).filter((d) => !d.startsWith('.'));
  assert.equal(runs.length, 1, `one run directory in ${results}`);
  const dir = path.join(results, runs[0]!);
  for (const file of ['run.json', 'summary.json', 'timeseries.ndjson', 'summary.md', 'junit.xml']) {
    assert.ok(existsSync(path.join(dir, file)), `${file} written`);
  }
  return { dir, summary: JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary };
}

const dir = tempDir('cb-scenarios-');

test('a passing run exits 0 with complete, exact files', async () => {
  const file = scenarioFile(
    dir,
    'pass',
    small('').replace('THRESHOLDS', `{ messages_lost: ['count==0'], delivery_latency: ['p(99)<1000'] }`),
  );
  const { code, stderr, results } = await run([file]);
  assert.equal(code, ExitCode.ok, stderr);
  const { summary } = onlyRun(results);
  assert.equal(summary.schemaVersion, 1);
  assert.equal(summary.valid, true);
  const published = summary.metrics.messages_published;
  const delivered = summary.metrics.messages_delivered;
  assert.ok(published?.type === 'counter' && delivered?.type === 'counter');
  assert.equal(published.count, 30);
  assert.equal(delivered.count, 30 * 20, 'every subscriber got every message');
  assert.ok(summary.thresholds.every((t) => t.ok));
});

test('a failed threshold exits 99 (k6) and says which', async () => {
  const file = scenarioFile(dir, 'fail', small('').replace('THRESHOLDS', `{ delivery_latency: ['max<0.001'] }`));
  const { code, stdout, results } = await run([file]);
  assert.equal(code, ExitCode.thresholdsFailed);
  assert.match(stdout, /✗ 'max<0.001'/);
  const { summary } = onlyRun(results);
  assert.equal(summary.thresholds[0]!.ok, false);
});

test('a saturated load generator makes the run invalid: exit 3, reason recorded', async () => {
  const limits = `limits: { maxEventLoopDelayP99Ms: 0.001, maxCpuShare: 0.0001, sustained: '500ms' },`;
  const file = scenarioFile(dir, 'invalid', small(limits).replace('THRESHOLDS', '{}'));
  const { code, results } = await run([file]);
  assert.equal(code, ExitCode.invalidRun);
  const { summary } = onlyRun(results);
  assert.equal(summary.valid, false);
  assert.ok(summary.invalidReasons.length > 0);
});

test('bad scenarios exit 2 with one line naming the field', async () => {
  const cases: [string, RegExp][] = [
    [
      small('').replace('THRESHOLDS', `{ delivery_latency: ['p99<250'] }`),
      /thresholds\.delivery_latency\[0\]: "p99<250" is not a threshold expression/,
    ],
    [
      small('')
        .replace('THRESHOLDS', '{}')
        .replace("executor: 'constant-arrival-rate'", "executor: 'constant-arrivals'"),
      /workload\.publishers\.executor/,
    ],
    [
      small('').replace('THRESHOLDS', '{}').replace("engine: 'memory'", "engine: 'kafka'"),
      /stack\.engine: .*memory.*redis.*nats/,
    ],
  ];
  for (const [body, pattern] of cases) {
    const file = scenarioFile(dir, 'bad', body);
    const { code, stderr, results } = await run([file]);
    assert.equal(code, ExitCode.badInput, stderr);
    const errors = stderr.split('\n').filter((l) => l.startsWith('error:'));
    assert.equal(errors.length, 1, stderr);
    assert.match(errors[0]!, pattern);
    assert.deepEqual(readdirSync(results), [], 'nothing was started or written');
  }
  const missing = await run([path.join(dir, 'nope.ts')]);
  assert.equal(missing.code, ExitCode.badInput);
  assert.match(missing.stderr, /error: no scenario file at/);
  const override = await run([
    '--set',
    'stack.nodes=2',
    scenarioFile(dir, 'ok', small('').replace('THRESHOLDS', '{}')),
  ]);
  assert.equal(override.code, ExitCode.badInput);
  assert.match(override.stderr, /stack\.nodes: 2 Centrifugo nodes need a shared broker/);
});
