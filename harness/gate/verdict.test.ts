import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExitCode } from '../common/exit-codes.ts';
import { sampleSummary } from '../results/files/testing.ts';
import type { MetricComparison, MetricVerdict, RunComparison } from './compare-runs.ts';
import { sampleRunValues as runValues } from './testing.ts';
import { decideComparisonVerdict, decideVerdict, exitCodeFor } from './verdict.ts';

const failing = [
  { metric: 'delivery_latency', expression: 'p(99)<250', ok: false, value: 300, abortOnFail: false },
  { metric: 'messages_lost', expression: 'count==0', ok: true, value: 0, abortOnFail: false },
];

test('exit codes pinned: ok 0, bad input 2, invalid 3, inconclusive 4, thresholds 99', () => {
  assert.deepEqual([ExitCode.ok, ExitCode.invalidRun, ExitCode.thresholdsFailed], [0, 3, 99]);
  assert.deepEqual([ExitCode.badInput, ExitCode.inconclusive], [2, 4]);
});

test('valid run, every threshold passed → 0', () => {
  const verdict = decideVerdict(sampleSummary());
  assert.deepEqual([verdict.status, verdict.exitCode, verdict.headline], ['passed', 0, 'PASSED — 2 thresholds passed']);
  assert.equal(exitCodeFor(sampleSummary({ thresholds: [] })), 0);
});

test('a failed threshold → 99', () => {
  const verdict = decideVerdict(sampleSummary({ thresholds: failing }));
  assert.deepEqual([verdict.status, verdict.exitCode, verdict.failedThresholds], ['failed', 99, 1]);
  assert.equal(verdict.headline, 'FAILED — 1 of 2 thresholds failed');
});

test('an aborted-by-threshold run has its threshold failed → 99', () => {
  const summary = sampleSummary({ thresholds: failing, aborted: { by: 'threshold', reason: 'crossed' } });
  assert.equal(exitCodeFor(summary), 99);
});

test('invalid outranks failed thresholds → 3, reasons in the headline', () => {
  const summary = sampleSummary({
    valid: false,
    invalidReasons: ['event-loop delay p99 120 ms > 50 ms'],
    thresholds: failing,
  });
  const verdict = decideVerdict(summary);
  assert.deepEqual([verdict.status, verdict.exitCode], ['invalid', 3]);
  assert.equal(verdict.headline, 'INVALID RUN — its numbers cannot be trusted: event-loop delay p99 120 ms > 50 ms');
  assert.equal(exitCodeFor(sampleSummary({ valid: false })), 3);
});

test('a run stopped by a signal → 105 STOPPED, whatever its thresholds say; a broken one → 1 RUN FAILED', () => {
  const stopped = decideVerdict(sampleSummary({ aborted: { by: 'signal', reason: 'stopped by SIGINT' } }));
  assert.deepEqual([stopped.status, stopped.exitCode], ['stopped', ExitCode.externalAbort]);
  assert.equal(stopped.headline, 'STOPPED — stopped by SIGINT; a partial run, not judged');
  const broken = decideVerdict(
    sampleSummary({ valid: false, aborted: { by: 'error', reason: 'centrifugo-1 exited unexpectedly (SIGKILL)' } }),
  );
  assert.deepEqual([broken.status, broken.exitCode], ['error', ExitCode.harnessError]);
  assert.match(broken.headline, /^RUN FAILED — centrifugo-1 exited unexpectedly/);
});

test('re-judged by gate, an interrupted run is invalid (3) — even one saved as valid by an older harness', () => {
  for (const by of ['signal', 'error']) {
    const summary = sampleSummary({ aborted: { by, reason: 'x' } });
    const verdict = decideVerdict(summary, { rejudging: true });
    assert.deepEqual([verdict.status, verdict.exitCode], ['invalid', ExitCode.invalidRun], by);
    assert.match(verdict.headline, new RegExp(`interrupted \\(${by}\\): x`));
  }
  const threshold = sampleSummary({ thresholds: failing, aborted: { by: 'threshold', reason: 'crossed' } });
  assert.equal(exitCodeFor(threshold, { rejudging: true }), ExitCode.thresholdsFailed);
});

/** A comparison whose metrics have these verdicts, and the summary line compare-runs would write. */
function comparisonWith(verdicts: MetricVerdict[], summary: string): RunComparison {
  const metrics = verdicts.map(
    (verdict, i): MetricComparison => ({
      id: `metric ${i}`,
      metric: 'delivery_latency',
      unit: 'ms',
      better: 'lower',
      baseline: { values: [1], median: 1 },
      current: { values: [1], median: 1 },
      change: { estimate: 0, low: -0.01, high: 0.01 },
      confidence: 0.9875,
      coverage: 0.99,
      verdict,
      reason: verdict,
    }),
  );
  const overall: MetricVerdict = verdicts.includes('regression')
    ? 'regression'
    : verdicts.includes('inconclusive')
      ? 'inconclusive'
      : 'pass';
  return {
    design: 'paired',
    baselineRuns: ['a1', 'a2'],
    currentRuns: ['b1', 'b2'],
    alpha: 0.05,
    effect: 0.05,
    metrics,
    verdict: overall,
    summary,
  };
}

describe('decideComparisonVerdict: invalid (3) > failed or regressed (99) > inconclusive (4) > passed (0)', () => {
  const baseline = [runValues('a1'), runValues('a2')];
  const current = [runValues('b1'), runValues('b2')];
  const thresholdFailed = runValues('b1', { failedThresholds: ["delivery_latency 'p(99)<250'"] });
  const invalid = runValues('a2', { valid: false, invalidReasons: ['generator CPU 97% > 80%', 'loop delay'] });
  const regression = comparisonWith(['regression', 'inconclusive', 'pass'], 'regression: metric 0 +20.0 %');
  const inconclusive = comparisonWith(['pass', 'inconclusive'], 'inconclusive at 5.0 %: 1 of 2 metrics (metric 1)');
  const pass = comparisonWith(['pass', 'pass'], 'no regression of 5.0 % or more in 2 metrics');

  test('an invalid run on either side → 3, outranking regressions and failed thresholds', () => {
    const verdict = decideComparisonVerdict(regression, {
      baseline: [runValues('a1'), invalid],
      current: [thresholdFailed, runValues('b2', { valid: false, invalidReasons: [] })],
    });
    assert.deepEqual([verdict.status, verdict.exitCode], ['invalid', ExitCode.invalidRun]);
    assert.equal(
      verdict.headline,
      'INVALID — 2 runs cannot be trusted (a2: generator CPU 97% > 80%; loop delay · b2: no reason recorded)',
    );
    assert.deepEqual([verdict.regressions, verdict.failedThresholds], [1, 1]);
    const one = decideComparisonVerdict(pass, { baseline: [runValues('a1'), invalid], current });
    assert.equal(one.headline, 'INVALID — 1 run cannot be trusted (a2: generator CPU 97% > 80%; loop delay)');
  });

  test('a regression or a candidate threshold failed → 99, both named in the headline', () => {
    const regressed = decideComparisonVerdict(regression, { baseline, current });
    assert.deepEqual([regressed.status, regressed.exitCode], ['failed', ExitCode.thresholdsFailed]);
    assert.equal(regressed.headline, 'FAILED — regression: metric 0 +20.0 %');
    assert.deepEqual([regressed.regressions, regressed.failedThresholds], [1, 0]);

    const thresholds = decideComparisonVerdict(inconclusive, { baseline, current: [thresholdFailed, current[1]!] });
    assert.deepEqual([thresholds.status, thresholds.exitCode], ['failed', 99]);
    assert.equal(thresholds.headline, "FAILED — thresholds failed in b1 (delivery_latency 'p(99)<250')");

    const both = decideComparisonVerdict(regression, { baseline, current: [thresholdFailed, current[1]!] });
    assert.equal(
      both.headline,
      "FAILED — thresholds failed in b1 (delivery_latency 'p(99)<250'); regression: metric 0 +20.0 %",
    );
    assert.equal(both.failedThresholds, 1);
  });

  test("a baseline run's failed threshold is not the candidate's failure", () => {
    const verdict = decideComparisonVerdict(pass, {
      baseline: [runValues('a1', { failedThresholds: ["messages_lost 'count==0'"] }), baseline[1]!],
      current,
    });
    assert.deepEqual([verdict.status, verdict.exitCode], ['passed', ExitCode.ok]);
  });

  test('inconclusive → 4, never a pass; all metrics passed → 0', () => {
    const undecided = decideComparisonVerdict(inconclusive, { baseline, current });
    assert.deepEqual([undecided.status, undecided.exitCode], ['inconclusive', ExitCode.inconclusive]);
    assert.equal(undecided.headline, 'INCONCLUSIVE — inconclusive at 5.0 %: 1 of 2 metrics (metric 1)');
    assert.deepEqual([undecided.regressions, undecided.failedThresholds], [0, 0]);

    const passed = decideComparisonVerdict(pass, { baseline, current });
    assert.deepEqual([passed.status, passed.exitCode], ['passed', ExitCode.ok]);
    assert.equal(passed.headline, 'PASSED — no regression of 5.0 % or more in 2 metrics');
  });
});
