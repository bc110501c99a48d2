/**
 * The run's verdict and exit code. Precedence, first match wins:
 *   1. the run is invalid (summary.valid false)          → 3  ExitCode.invalidRun
 *      Its numbers cannot be trusted either way: a failed p99 may be the generator's own delay, a passed
 *      one proves nothing. So "invalid" outranks every threshold and baseline result.
 *   2. a threshold failed, or the baseline comparison found a regression → 99  ExitCode.thresholdsFailed
 *   3. otherwise                                         → 0   ExitCode.ok
 * Not decided here: bad input (2) is thrown as UserError before there is a summary, and a run stopped by
 * SIGINT/SIGTERM exits 105 from the CLI whatever its summary says. A run aborted by an abortOnFail
 * threshold has that threshold failed in its summary, so it exits 99 like in k6.
 */
import { ExitCode, type ExitCodeValue } from '../common/exit-codes.ts';
import type { RunSummary } from '../common/summary-types.ts';
import type { BaselineComparison } from './baseline.ts';

export type VerdictStatus = 'passed' | 'failed' | 'invalid';

export interface Verdict {
  status: VerdictStatus;
  exitCode: ExitCodeValue;
  /** One line for the end of the terminal summary and the Markdown headline. */
  headline: string;
  failedThresholds: number;
  regressions: number;
}

export function decideVerdict(summary: RunSummary, comparison?: BaselineComparison | null): Verdict {
  const failedThresholds = summary.thresholds.filter((t) => !t.ok).length;
  const regressions = comparison?.regressions ?? 0;
  if (!summary.valid) {
    const reasons = summary.invalidReasons.length ? `: ${summary.invalidReasons.join('; ')}` : '';
    return {
      status: 'invalid',
      exitCode: ExitCode.invalidRun,
      headline: `INVALID RUN — its numbers cannot be trusted${reasons}`,
      failedThresholds,
      regressions,
    };
  }
  if (failedThresholds > 0 || regressions > 0) {
    const parts = [
      failedThresholds > 0 ? `${failedThresholds} of ${summary.thresholds.length} thresholds failed` : null,
      regressions > 0
        ? `${regressions} regression${regressions > 1 ? 's' : ''} against baseline ${comparison?.baselineRunId}`
        : null,
    ].filter(Boolean);
    return {
      status: 'failed',
      exitCode: ExitCode.thresholdsFailed,
      headline: `FAILED — ${parts.join(', ')}`,
      failedThresholds,
      regressions,
    };
  }
  const checked = [
    `${summary.thresholds.length} threshold${summary.thresholds.length === 1 ? '' : 's'} passed`,
    comparison ? `no regression against baseline ${comparison.baselineRunId}` : null,
  ].filter(Boolean);
  return {
    status: 'passed',
    exitCode: ExitCode.ok,
    headline: `PASSED — ${checked.join(', ')}`,
    failedThresholds,
    regressions,
  };
}

/** The exit code alone (the `run` command's last line). */
export function exitCodeFor(summary: RunSummary, comparison?: BaselineComparison | null): ExitCodeValue {
  return decideVerdict(summary, comparison).exitCode;
}
