/**
 * Exit codes of every centrifugo-bench command. k6's numbers are reused where the meaning is the same
 * (99 thresholds, 105 external abort) so CI scripts written for k6 keep working; the rest are ours.
 * Documented in the README ("Exit codes"); a test pins each one.
 */
export const ExitCode = {
  /** The run finished, every threshold passed, the measurement is valid. */
  ok: 0,
  /** Something broke inside the harness (a bug, an unexpected service crash mid-run). */
  harnessError: 1,
  /** Bad usage or configuration: an unknown flag, an invalid scenario, a missing binary, a port taken,
   *  a service that never became ready. Nothing was left running. */
  badInput: 2,
  /** The run finished but its numbers cannot be trusted: the load generator itself saturated
   *  (event-loop delay or CPU), so the latency it measured is partly its own. */
  invalidRun: 3,
  /** A comparison could not decide at the requested effect size: its confidence interval is too wide
   *  (too few runs for the noise). Never a pass: run more repetitions, or calibrate the runner. */
  inconclusive: 4,
  /** At least one threshold failed (k6: ThresholdsHaveFailed). */
  thresholdsFailed: 99,
  /** Stopped by SIGINT / SIGTERM (k6: ExternalAbort). Teardown still ran. */
  externalAbort: 105,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
