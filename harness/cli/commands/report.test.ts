import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeFixtureRun } from '../../results/report/testing/write-fixture-run.ts';
import { resolveRunDir } from './report.ts';

const bin = fileURLToPath(new URL('../bin.mjs', import.meta.url));
const root = mkdtempSync(path.join(tmpdir(), 'report-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CENTRIFUGO_BENCH_RESULTS: root },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('report <run-id> writes report.html under the results root and prints its path', () => {
  const dir = writeFixtureRun(root, { runId: '20261123-193000-beef', durationS: 60 });
  const { code, stdout, stderr } = cli(['report', '20261123-193000-beef']);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, `${path.join(dir, 'report.html')}\n`);
  assert.match(readFileSync(path.join(dir, 'report.html'), 'utf8'), /<h1>fanout-1k-kill-node<\/h1>/);
});

test('a missing run or a malformed run directory is one clear message and exit 2', () => {
  const missing = cli(['report', 'no-such-run']);
  assert.equal(missing.code, 2);
  assert.equal(missing.stdout, '');
  assert.match(missing.stderr, /^error: no run "no-such-run" under .*report-cli-.*; pass a run id/);
  assert.equal(missing.stderr.trim().split('\n').length, 1);

  const dir = writeFixtureRun(root, { runId: 'malformed', durationS: 30 });
  writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ schemaVersion: 1, runId: 'malformed' }));
  const malformed = cli(['report', dir]);
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /^error: invalid .*malformed\/run\.json: scenario: /);
  assert.ok(!existsSync(path.join(dir, 'report.html')));
});

test('run ids resolve under the root; paths resolve as given', () => {
  const dir = writeFixtureRun(root, { runId: 'resolve-me', durationS: 5 });
  assert.equal(resolveRunDir('resolve-me', root), dir);
  assert.equal(resolveRunDir(dir, '/elsewhere'), dir);
  assert.equal(resolveRunDir('./x/y', root), path.resolve('x/y'));
  assert.throws(() => resolveRunDir('absent', root), /no run "absent" under/);
});
