/**
 * The run's verdict and exit code — one decision, rendered everywhere (terminal, summary.md, junit.xml)
 * and returned by the process, so the printed verdict and the exit code never disagree. Precedence, first
 * match wins:
 *   1. the run failed: the harness or a service of the stack broke it (aborted by 'error') → 1 harnessError
 *   2. the run was stopped by SIGINT/SIGTERM/SIGHUP (aborted by 'signal')              → 105 externalAbort (k6)
 *      Either way it is a partial run: it was not judged, whatever its thresholds say.
 *   3. the run is invalid (summary.valid false)                                          → 3 invalidRun
 *      Its numbers cannot be trusted either way: a failed p99 may be the generator's own delay, a passed
 *      one proves nothing. So "invalid" outranks every threshold.
 *   4. a threshold failed                                                                → 99 thresholdsFailed
 *   5. otherwise                                                                         → 0 ok
 * Re-judging a saved run (`gate`): a run that was stopped or failed is invalid (3) — it never passes a gate,
 * and the gate's own process was neither stopped nor broken. Not decided here: bad input (2) is thrown as
 * UserError before there is a summary. A run aborted by an abortOnFail threshold has that threshold failed
 * in its summary, so it exits 99 like in k6.
 */
import { ExitCode, type ExitCodeValue } from '../common/exit-codes.ts';
import type { RunSummary } from '../common/summary-types.ts';
import type { RunComparison } from './compare-runs.ts';
import type { RunValues } from './run-values.ts';

export type VerdictStatus = 'passed' | 'failed' | 'inconclusive' | 'invalid' | 'stopped' | 'error';

export interface Verdict {
  status: VerdictStatus;
  exitCode: ExitCodeValue;
  /** One line for the end of the terminal summary and the Markdown headline. */
  headline: string;
  failedThresholds: number;
  regressions: number;
}

export interface VerdictOptions {
  /** `gate` judging a saved run, rather than the process that ran it. */
  rejudging?: boolean;
}

export function decideVerdict(summary: RunSummary, options: VerdictOptions = {}): Verdict {
  const failedThresholds = summary.thresholds.filter((t) => !t.ok).length;
  const regressions = 0;
  const verdict = (status: VerdictStatus, exitCode: ExitCodeValue, headline: string): Verdict => ({
    status,
    exitCode,
    headline,
    failedThresholds,
    regressions,
  });
  const interrupted = summary.aborted?.by === 'error' || summary.aborted?.by === 'signal';
  if (interrupted && !options.rejudging) {
    const reason = summary.aborted!.reason;
    return summary.aborted!.by === 'error'
      ? verdict('error', ExitCode.harnessError, `RUN FAILED — ${reason}; a partial run, not judged`)
      : verdict('stopped', ExitCode.externalAbort, `STOPPED — ${reason}; a partial run, not judged`);
  }
  if (!summary.valid || interrupted) {
    const reasons = [
      ...(interrupted && summary.valid ? [`interrupted (${summary.aborted!.by}): ${summary.aborted!.reason}`] : []),
      ...summary.invalidReasons,
    ];
    return verdict(
      'invalid',
      ExitCode.invalidRun,
      `INVALID RUN — its numbers cannot be trusted${reasons.length ? `: ${reasons.join('; ')}` : ''}`,
    );
  }
  if (failedThresholds > 0) {
    return verdict(
      'failed',
      ExitCode.thresholdsFailed,
      `FAILED — ${failedThresholds} of ${summary.thresholds.length} thresholds failed`,
    );
  }
  const passed = `${summary.thresholds.length} threshold${summary.thresholds.length === 1 ? '' : 's'} passed`;
  return verdict('passed', ExitCode.ok, `PASSED — ${passed}`);
}

/** The exit code alone. */
export function exitCodeFor(summary: RunSummary, options: VerdictOptions = {}): ExitCodeValue {
  return decideVerdict(summary, options).exitCode;
}

/**
 * The verdict of a comparison of runs (gate with a baseline, ab, calibrate). Precedence, first match wins:
 *   1. a run on either side is invalid (its load generator saturated)      → 3  invalidRun
 *   2. a candidate run failed a threshold, or a metric regressed              → 99 thresholdsFailed
 *   3. a metric is inconclusive at the effect size                            → 4  inconclusive
 *   4. otherwise                                                              → 0  passed
 * Inconclusive is never a pass: the data could not rule out a regression of the size asked about.
 */
export function decideComparisonVerdict(
  comparison: RunComparison,
  runs: { baseline: readonly RunValues[]; current: readonly RunValues[] },
): Verdict {
  const invalid = [...runs.baseline, ...runs.current].filter((run) => !run.valid);
  const failed = runs.current.filter((run) => run.failedThresholds.length > 0);
  const regressions = comparison.metrics.filter((m) => m.verdict === 'regression').length;
  const verdict = (status: VerdictStatus, exitCode: ExitCodeValue, headline: string): Verdict => ({
    status,
    exitCode,
    headline,
    failedThresholds: failed.reduce((n, run) => n + run.failedThresholds.length, 0),
    regressions,
  });
  if (invalid.length) {
    const reasons = invalid.map((run) => `${run.runId}: ${run.invalidReasons.join('; ') || 'no reason recorded'}`);
    return verdict(
      'invalid',
      ExitCode.invalidRun,
      `INVALID — ${invalid.length} run${invalid.length > 1 ? 's' : ''} cannot be trusted (${reasons.join(' · ')})`,
    );
  }
  if (failed.length || regressions) {
    const parts = [
      failed.length
        ? `thresholds failed in ${failed.map((run) => `${run.runId} (${run.failedThresholds.join(', ')})`).join(', ')}`
        : null,
      regressions ? comparison.summary : null,
    ].filter(Boolean);
    return verdict('failed', ExitCode.thresholdsFailed, `FAILED — ${parts.join('; ')}`);
  }
  if (comparison.verdict === 'inconclusive') {
    return verdict('inconclusive', ExitCode.inconclusive, `INCONCLUSIVE — ${comparison.summary}`);
  }
  return verdict('passed', ExitCode.ok, `PASSED — ${comparison.summary}`);
}
