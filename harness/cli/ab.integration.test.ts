/**
 * `ab` end to end through real Centrifugo, kept small: 2 pairs of a tiny smoke run. Two pairs can never
 * reach the corrected confidence, so the verdict is inconclusive (exit 4) — what is checked is the order
 * A B, B A, the session folder and the printed verdict, not the statistics.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ExitCode } from '../common/exit-codes.ts';
import { assertNothingLeft, BIN, REPO_ROOT, TAG, tempDir } from './testing.ts';

const TINY = [
  'workload.subscribers.count=50',
  'workload.subscribers.connectRate=500',
  'workload.publishers.duration=2s',
  'workload.drain=1s',
].flatMap((assignment) => ['--set', assignment]);

test('ab runs A B, B A and writes an inconclusive session (2 pairs cannot decide)', { timeout: 120_000 }, async () => {
  const results = tempDir('cb-ab-test-');
  const ci = tempDir('cb-ab-ci-');
  const tag = `ab-${process.pid}`;
  const child = spawn(
    process.execPath,
    [
      BIN,
      'ab',
      path.join(REPO_ROOT, 'scenarios/smoke.ts'),
      '--pairs',
      '2',
      ...TINY,
      '--b-set',
      'workload.publishers.payloadBytes=256',
      '--junit',
      path.join(ci, 'junit.xml'),
      '--markdown',
      path.join(ci, 'summary.md'),
      '--no-setup',
    ],
    { env: { ...process.env, CENTRIFUGO_BENCH_RESULTS: results, [TAG]: tag }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

  assert.equal(code, ExitCode.inconclusive, stderr.slice(-2000));
  assert.match(stderr, /8 pairs is the least that can decide 4 metrics at α 0\.05/);
  assert.match(stdout, /runs in order: A B B A/);
  assert.match(stdout, /INCONCLUSIVE — .*\(exit 4\)/);
  const sessions = readdirSync(results).filter((name) => name.startsWith('ab-'));
  assert.equal(sessions.length, 1);
  assert.match(sessions[0]!, /^ab-\d{8}-\d{6}-[0-9a-f]{4}$/);
  const session = path.join(results, sessions[0]!);
  for (const file of ['ab.json', 'summary.md', 'junit.xml']) assert.ok(existsSync(path.join(session, file)), file);
  const record = JSON.parse(readFileSync(path.join(session, 'ab.json'), 'utf8'));
  assert.deepEqual(
    record.runs.map((run: { label: string }) => run.label),
    ['A', 'B', 'B', 'A'],
  );
  assert.equal(record.verdict.exitCode, ExitCode.inconclusive);
  assert.equal(record.comparison.design, 'paired');
  assert.equal(record.comparison.metrics.length, 4);
  assert.equal(readFileSync(path.join(ci, 'junit.xml'), 'utf8'), readFileSync(path.join(session, 'junit.xml'), 'utf8'));
  assert.ok(existsSync(path.join(ci, 'summary.md')));
  await assertNothingLeft(tag);
});
