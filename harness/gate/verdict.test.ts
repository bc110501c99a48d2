import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExitCode } from '../common/exit-codes.ts';
import { sampleSummary } from '../results/files/testing.ts';
import type { BaselineComparison } from './baseline.ts';
import { decideVerdict, exitCodeFor } from './verdict.ts';

const failing = [
  { metric: 'delivery_latency', expression: 'p(99)<250', ok: false, value: 300, abortOnFail: false },
  { metric: 'messages_lost', expression: 'count==0', ok: true, value: 0, abortOnFail: false },
];

function comparison(regressions: number): BaselineComparison {
  return {
    baselineRunId: 'base-1',
    currentRunId: 'cur',
    alpha: 0.05,
    tolerance: 0.05,
    minSamples: 8,
    trimS: 0,
    series: [],
    regressions,
  };
}

test('exit codes pinned: ok 0, invalid 3, thresholds 99', () => {
  assert.deepEqual([ExitCode.ok, ExitCode.invalidRun, ExitCode.thresholdsFailed], [0, 3, 99]);
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

test('invalid outranks failed thresholds and regressions → 3, reasons in the headline', () => {
  const summary = sampleSummary({
    valid: false,
    invalidReasons: ['event-loop delay p99 120 ms > 50 ms'],
    thresholds: failing,
  });
  const verdict = decideVerdict(summary, comparison(2));
  assert.deepEqual([verdict.status, verdict.exitCode], ['invalid', 3]);
  assert.equal(verdict.headline, 'INVALID RUN — its numbers cannot be trusted: event-loop delay p99 120 ms > 50 ms');
  assert.equal(exitCodeFor(sampleSummary({ valid: false })), 3);
});

test('a baseline regression → 99 even when thresholds pass; none → 0 and says so', () => {
  const verdict = decideVerdict(sampleSummary(), comparison(1));
  assert.deepEqual([verdict.exitCode, verdict.headline], [99, 'FAILED — 1 regression against baseline base-1']);
  const both = decideVerdict(sampleSummary({ thresholds: failing }), comparison(2));
  assert.equal(both.headline, 'FAILED — 1 of 2 thresholds failed, 2 regressions against baseline base-1');
  const clean = decideVerdict(sampleSummary(), comparison(0));
  assert.deepEqual(
    [clean.exitCode, clean.headline],
    [0, 'PASSED — 2 thresholds passed, no regression against baseline base-1'],
  );
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
    const verdict = decideVerdict(summary, comparison(0), { rejudging: true });
    assert.deepEqual([verdict.status, verdict.exitCode], ['invalid', ExitCode.invalidRun], by);
    assert.match(verdict.headline, new RegExp(`interrupted \\(${by}\\): x`));
  }
  const threshold = sampleSummary({ thresholds: failing, aborted: { by: 'threshold', reason: 'crossed' } });
  assert.equal(exitCodeFor(threshold, null, { rejudging: true }), ExitCode.thresholdsFailed);
});
