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
import type { RunInfo, RunSummary } from '../../common/summary-types.ts';
import { RunWriter } from '../../results/files/index.ts';
import { samplePoint, sampleSummary, trendValues } from '../../results/files/testing.ts';
import { baselineSave } from './baseline.ts';
import { parseFraction, runGate } from './gate.ts';

const bin = fileURLToPath(new URL('../bin.mjs', import.meta.url));
let root: string;

/** run.json of a fanout-smoke run on this test's machine: what a stored baseline and its candidates share. */
function runInfo(runId: string): RunInfo {
  return {
    schemaVersion: 1,
    runId,
    scenario: { name: 'fanout-smoke', file: 'scenarios/fanout-smoke.ts', config: {} },
    startedAt: '2026-11-23T12:00:00.000Z',
    git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false },
    host: { hostname: 'ci', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'cpu', memoryBytes: 8 * 2 ** 30 },
    node: process.version,
    harnessVersion: '0.1.0',
    stack: { provider: 'local', engine: 'memory', nodes: 1 },
    versions: { centrifugo: '6.9.1' },
  };
}

/** A finished run on disk: summary, and `seconds` per-second points with latency around `latencyMs`. */
async function writeRun(
  runId: string,
  summary: Partial<RunSummary>,
  latencyMs: number,
  hdrValuesMs?: number[],
  info?: RunInfo,
) {
  const writer = await RunWriter.open({ runId, root });
  if (info) await writer.writeRunInfo(info);
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

/**
 * One of k runs of a build whose delivery latency centres on `latencyMs` (its p50, p99 and mean follow) —
 * the run-level values come from summary.json's metrics; each run a little different, as on a real machine.
 */
function kRunsSummary(runId: string, i: number, latencyMs: number): Partial<RunSummary> {
  const metrics = sampleSummary().metrics;
  metrics.delivery_latency = {
    type: 'trend',
    unit: 'ms',
    ...trendValues(latencyMs * (1 + 0.02 * Math.sin(i + 1)), 5000),
  };
  const delivered = Math.round(120_000 * (1 + 0.005 * Math.cos(2 * i + 1)));
  metrics.messages_delivered = { type: 'counter', count: delivered, rate: delivered / 60 };
  return {
    runId,
    metrics,
    // messages_delivered /s is the count over the load window: publishing until accounting began.
    timeline: [
      { at: 0, kind: 'phase', name: 'publish' },
      { at: 50, kind: 'phase', name: 'drain' },
      { at: 60, kind: 'phase', name: 'account' },
    ],
  };
}

const K = 8;
let dirs: Record<string, string>;
let baselineRuns: string[];
let fastRuns: string[];
let slowRuns: string[];
let baselinesDir: string;
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
    // Stopped by a signal, yet saved as valid (an older harness did): invalid when re-judged.
    interrupted: await writeRun('interrupted', { aborted: { by: 'signal', reason: 'stopped by SIGTERM' } }, 5),
    // No delivery and no push metric at all: nothing a comparison could judge.
    empty: await writeRun('empty', { metrics: {}, thresholds: [] }, 5),
  };
  const kRuns = async (prefix: string, latencyMs: number) => {
    const written: string[] = [];
    for (let i = 0; i < K; i++) {
      const runId = `${prefix}-${i + 1}`;
      written.push(await writeRun(runId, kRunsSummary(runId, i, latencyMs), latencyMs, undefined, runInfo(runId)));
    }
    return written;
  };
  baselineRuns = await kRuns('base', 4);
  fastRuns = await kRuns('same', 4);
  slowRuns = await kRuns('slower', 5.2); // +30 % delivery latency
  baselinesDir = path.join(root, 'baselines');
  await baselineSave(baselineRuns, { dir: baselinesDir });
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
    const outcome = await runGate(dirs.crossed!, { json: true });
    assert.equal(outcome.exitCode, 99);
    const json = JSON.parse(outcome.output) as { thresholds: unknown[] };
    assert.deepEqual(json.thresholds[0], {
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

  test('an invalid run → 3 whatever the comparison says', async () => {
    const outcome = await runGate(dirs.invalid!, { baseline: dirs.pass! });
    assert.equal(outcome.exitCode, 3);
    assert.match(outcome.output, /run invalid: INVALID RUN — its numbers cannot be trusted: generator CPU 97% > 80%/);
    assert.match(
      outcome.output,
      /✗ INVALID — 1 run cannot be trusted \(invalid: generator CPU 97% > 80%\) {2}\(exit 3\)/,
    );
  });

  test('an interrupted run saved as valid is invalid in a comparison too → 3, as on its own', async () => {
    assert.equal((await runGate(dirs.interrupted!)).exitCode, 3);
    const outcome = await runGate(dirs.interrupted!, { baseline: dirs.pass! });
    assert.equal(outcome.exitCode, 3, outcome.output);
    assert.match(
      outcome.output,
      /INVALID — 1 run cannot be trusted \(interrupted: interrupted \(signal\): stopped by SIGTERM\)/,
    );
  });

  test('a run directory as a one-run baseline → 4: one run per side can never decide, and it says so', async () => {
    const outcome = await runGate(dirs.slow!, { baseline: dirs.pass! });
    assert.equal(outcome.exitCode, 4);
    assert.equal(outcome.comparison?.verdict, 'inconclusive');
    assert.equal(outcome.comparison?.design, 'independent');
    assert.deepEqual(outcome.comparison?.baselineRuns, ['pass']);
    for (const metric of outcome.comparison?.metrics ?? []) {
      assert.match(metric.reason, /^1 \+ 1 runs cannot reach 98\.75 % confidence; it takes ≥ \d+ runs per side$/);
    }
    assert.match(outcome.output, /baseline pass \(.*pass\), 1 run\n/);
    assert.match(outcome.output, /\? INCONCLUSIVE — inconclusive at 5 %: 4 of 4 metrics .* {2}\(exit 4\)/);
  });

  test(`${K} candidate runs against a stored baseline of ${K}: +30 % latency → 99; JUnit and Markdown written`, async () => {
    const junit = path.join(root, 'out', 'junit.xml');
    const markdown = path.join(root, 'out', 'summary.md');
    const outcome = await runGate(slowRuns, { baseline: 'fanout-smoke', baselinesDir, junit, markdown });
    assert.equal(outcome.exitCode, 99, outcome.output);
    assert.equal(outcome.comparison?.baselineRuns.length, K);
    assert.equal(outcome.comparison?.currentRuns.length, K);
    const byId = Object.fromEntries((outcome.comparison?.metrics ?? []).map((m) => [m.id, m]));
    assert.deepEqual(Object.keys(byId), [
      'delivery_latency p50',
      'delivery_latency p99',
      'delivery_latency mean',
      'messages_delivered /s',
    ]);
    for (const id of ['delivery_latency p50', 'delivery_latency p99', 'delivery_latency mean']) {
      assert.equal(byId[id]?.verdict, 'regression', id);
      const change = byId[id]!.change!;
      assert.ok(change.low! <= 0.3 && 0.3 <= change.high!, `${id}: [${change.low}, ${change.high}]`);
    }
    assert.equal(byId['messages_delivered /s']?.verdict, 'pass');
    // 120,000 deliveries over the 60 s from publish to account.
    assert.ok(Math.abs(byId['messages_delivered /s']!.baseline.median! - 2000) < 20);
    assert.match(outcome.output, /baseline \d{8}-\d{6}-[0-9a-f]{4} \(.*fanout-smoke.default \(entry .*\)\), 8 runs/);
    assert.match(outcome.output, /█ COMPARISON {2}independent: 8 baseline runs, 8 candidate runs/);
    assert.match(outcome.output, /✗ FAILED — regression: delivery_latency p50 \+30\.\d %/);
    const xml = readFileSync(junit, 'utf8');
    assert.match(xml, /name="delivery_latency p50" time="0">\n {6}<failure type="regression" message="regression: /);
    assert.doesNotMatch(xml, /name="[^"]*base-\d/, 'no baseline run id in a test name');
    assert.match(
      readFileSync(markdown, 'utf8'),
      /^### ❌ centrifugo-bench: FAILED — regression: delivery_latency p50 \+30/,
    );

    // The same build again: no regression of 5 % — nor a false alarm.
    const same = await runGate(fastRuns, { baseline: 'fanout-smoke', baselinesDir });
    assert.equal(same.exitCode, 0, same.output);
  });

  test('bad input is a UserError (exit 2): missing run, invalid baseline, bad flags', async () => {
    const isUserError = (pattern: RegExp) => (error: unknown) =>
      error instanceof UserError && error.exitCode === 2 && pattern.test(error.message);
    await assert.rejects(runGate(path.join(root, 'missing')), isUserError(/^no run directory at /));
    await assert.rejects(
      runGate(dirs.pass!, { baseline: dirs.invalid! }),
      isUserError(/baseline run invalid is marked invalid/),
    );
    await assert.rejects(runGate(dirs.pass!, { effect: 'lots' }), isUserError(/--effect lots: expected a fraction/));
    await assert.rejects(runGate(dirs.pass!, { effect: '0%' }), isUserError(/--effect 0%: expected the smallest/));
    await assert.rejects(runGate(dirs.pass!, { alpha: '2' }), isUserError(/--alpha 2/));
    await assert.rejects(
      runGate(dirs.empty!, { baseline: dirs.empty! }),
      isUserError(/^nothing to compare: neither side measured any of the compared metrics/),
    );
    await assert.rejects(runGate([]), isUserError(/at least one run directory/));
    assert.equal(parseFraction('5%', 'x'), 0.05);
    assert.equal(parseFraction('0.1', 'x'), 0.1);
  });
});

describe('centrifugo-bench gate (the real command)', () => {
  function cli(...args: string[]) {
    return spawnSync(process.execPath, [bin, 'gate', ...args], { encoding: 'utf8', timeout: 60_000 });
  }

  test('exit codes reach the shell: 99 with a regression, 4 inconclusive, 2 for a missing directory', () => {
    const regressed = cli(...slowRuns, '--baseline', 'fanout-smoke', '--baselines-dir', baselinesDir);
    assert.equal(regressed.status, 99, regressed.stderr);
    assert.match(regressed.stdout, /FAILED — regression: delivery_latency p50 \+30\.\d %.* {2}\(exit 99\)/);
    assert.ok(!regressed.stdout.includes('\u001b['), 'no colours when stdout is not a terminal');

    const oneRun = cli(dirs.slow!, '--baseline', dirs.pass!);
    assert.equal(oneRun.status, 4, oneRun.stderr);
    assert.match(oneRun.stdout, /cannot reach 98\.75 % confidence; it takes ≥ \d+ runs per side/);

    const missing = cli(path.join(root, 'nope'));
    assert.equal(missing.status, 2);
    assert.equal(missing.stderr.trim(), `error: no run directory at ${path.join(root, 'nope')}`);
  });

  test('bad input → 2: the removed --trim and --tolerance, --effect lots, nothing to compare', () => {
    for (const args of [
      ['--baseline', dirs.pass!, '--trim', '5'],
      ['--baseline', dirs.pass!, '--tolerance', '10%'],
    ]) {
      const removed = cli(dirs.slow!, ...args);
      assert.equal(removed.status, 2, `${args.join(' ')}: ${removed.stdout}`);
      assert.match(removed.stderr, /unknown option '--(trim|tolerance)'/);
    }
    const effect = cli(dirs.slow!, '--baseline', dirs.pass!, '--effect', 'lots');
    assert.equal(effect.status, 2);
    assert.match(effect.stderr, /--effect lots: expected a fraction/);
    const nothing = cli(dirs.empty!, '--baseline', dirs.empty!);
    assert.equal(nothing.status, 2);
    assert.match(nothing.stderr, /nothing to compare/);
  });
});
