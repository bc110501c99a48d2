import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { UserError } from '../../common/errors.ts';
import type { RunSummary } from '../../common/summary-types.ts';
import { RunWriter } from '../../results/files/index.ts';
import { samplePoint, sampleSummary, trendValues } from '../../results/files/testing.ts';
import { parseFraction, runGate } from './gate.ts';

const bin = fileURLToPath(new URL('../bin.mjs', import.meta.url));
let root: string;

/** A finished run on disk: summary, and `seconds` per-second points with latency around `latencyMs`. */
async function writeRun(runId: string, summary: Partial<RunSummary>, latencyMs: number, hdrValuesMs?: number[]) {
  const writer = await RunWriter.open({ runId, root });
  for (let t = 0; t < 30; t++) writer.appendPoint(samplePoint(t, latencyMs + ((t * 7) % 5) * 0.1, 2000));
  if (hdrValuesMs) {
    const histogram = hdr.build();
    for (const ms of hdrValuesMs) histogram.recordValue(ms * 1000);
    await writer.writeHistograms({ delivery_latency: hdr.encodeIntoCompressedBase64(histogram) });
  }
  await writer.writeSummary(sampleSummary({ runId, ...summary }));
  await writer.close();
  return writer.dir;
}

let dirs: Record<string, string>;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'cb-gate-cli-'));
  const slowMetrics = sampleSummary().metrics;
  slowMetrics.delivery_latency = { type: 'trend', unit: 'ms', ...trendValues(120, 5000) }; // p99 = 300
  dirs = {
    pass: await writeRun('pass', {}, 5),
    slow: await writeRun('slow', {}, 8),
    // summary.json claims the threshold passed; the metrics say p99 = 300 → re-evaluation fails it.
    crossed: await writeRun('crossed', { metrics: slowMetrics }, 5),
    invalid: await writeRun('invalid', { valid: false, invalidReasons: ['generator CPU 97% > 80%'] }, 5),
    p75: await writeRun(
      'p75',
      {
        thresholds: [{ metric: 'delivery_latency', expression: 'p(75)<50', ok: true, value: null, abortOnFail: false }],
      },
      5,
      Array.from({ length: 100 }, (_, i) => i + 1),
    ),
  };
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('runGate', () => {
  test('a passing run → 0, the k6-style summary on stdout', async () => {
    const outcome = await runGate(dirs.pass!);
    assert.equal(outcome.exitCode, 0);
    assert.match(outcome.output, /✓ 'p\(99\)<250' p\(99\)=10\.5 ms/);
    assert.match(outcome.output, /✓ PASSED — 2 thresholds passed {2}\(exit 0\)/);
  });

  test('thresholds are re-evaluated from the metrics, not trusted from summary.json → 99', async () => {
    const outcome = await runGate(dirs.crossed!);
    assert.equal(outcome.exitCode, 99);
    assert.deepEqual(outcome.summary.thresholds[0], {
      metric: 'delivery_latency',
      expression: 'p(99)<250',
      ok: false,
      value: 300,
      abortOnFail: false,
    });
  });

  test('percentiles outside summary.json come from histograms/<metric>.hdr', async () => {
    const outcome = await runGate(dirs.p75!, { json: true });
    const json = JSON.parse(outcome.output) as { exitCode: number; thresholds: Array<{ value: number; ok: boolean }> };
    assert.equal(json.exitCode, 99);
    assert.ok(Math.abs((json.thresholds[0]?.value ?? 0) - 75) < 0.1);
  });

  test('an invalid run → 3 even with a regression', async () => {
    const outcome = await runGate(dirs.invalid!, { baseline: dirs.pass! });
    assert.equal(outcome.exitCode, 3);
    assert.match(outcome.output, /✗ INVALID RUN/);
  });

  test('a regression against the baseline → 99; JUnit and Markdown written', async () => {
    const junit = path.join(root, 'out', 'junit.xml');
    const markdown = path.join(root, 'out', 'summary.md');
    const outcome = await runGate(dirs.slow!, { baseline: dirs.pass!, junit, markdown, tolerance: '10%' });
    assert.equal(outcome.exitCode, 99);
    assert.equal(outcome.comparison?.tolerance, 0.1);
    assert.match(outcome.output, /█ BASELINE vs run pass/);
    assert.match(outcome.output, /FAILED — 2 regressions against baseline pass/);
    assert.match(readFileSync(junit, 'utf8'), /<failure type="regression" message="worse: /);
    assert.match(
      readFileSync(markdown, 'utf8'),
      /^### ❌ centrifugo-bench: FAILED — 2 regressions against baseline pass/,
    );
    // The same run against itself: nothing changed.
    assert.equal((await runGate(dirs.slow!, { baseline: dirs.slow! })).exitCode, 0);
  });

  test('bad input is a UserError (exit 2): missing run, invalid baseline, bad flags', async () => {
    const isUserError = (pattern: RegExp) => (error: unknown) =>
      error instanceof UserError && error.exitCode === 2 && pattern.test(error.message);
    await assert.rejects(runGate(path.join(root, 'missing')), isUserError(/^no run directory at /));
    await assert.rejects(
      runGate(dirs.pass!, { baseline: dirs.invalid! }),
      isUserError(/baseline run invalid is marked invalid/),
    );
    await assert.rejects(
      runGate(dirs.pass!, { tolerance: 'lots' }),
      isUserError(/--tolerance lots: expected a fraction/),
    );
    await assert.rejects(runGate(dirs.pass!, { alpha: '2' }), isUserError(/--alpha 2/));
    await assert.rejects(runGate(dirs.pass!, { trim: '-1' }), isUserError(/--trim -1/));
    assert.equal(parseFraction('5%', 'x'), 0.05);
    assert.equal(parseFraction('0.1', 'x'), 0.1);
  });
});

describe('centrifugo-bench gate (the real command)', () => {
  function cli(...args: string[]) {
    return spawnSync(process.execPath, [bin, 'gate', ...args], { encoding: 'utf8', timeout: 60_000 });
  }

  test('exit codes reach the shell: 99 with a regression, 2 for a missing directory', () => {
    const regressed = cli(dirs.slow!, '--baseline', dirs.pass!);
    assert.equal(regressed.status, 99, regressed.stderr);
    assert.match(regressed.stdout, /FAILED — 2 regressions against baseline pass {2}\(exit 99\)/);
    assert.ok(!regressed.stdout.includes('\u001b['), 'no colours when stdout is not a terminal');

    const missing = cli(path.join(root, 'nope'));
    assert.equal(missing.status, 2);
    assert.equal(missing.stderr.trim(), `error: no run directory at ${path.join(root, 'nope')}`);
  });
});
