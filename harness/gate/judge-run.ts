/**
 * Judging a finished run (the `gate` command): its thresholds re-evaluated from its metrics and
 * histograms — the summary's own results are only a record —, the comparison with a baseline run when
 * there is one, and the verdict. Reads run directories; writes nothing.
 */
import { UserError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import type { RunInfo, RunSummary } from '../common/summary-types.ts';
import { readRun } from '../results/files/index.ts';
import { type BaselineComparison, COMPARE_DEFAULTS, compareRuns } from './baseline.ts';
import { percentileLookupFromHdr } from './hdr-percentiles.ts';
import { evaluateThresholds, thresholdsFromResults } from './thresholds.ts';
import { decideVerdict, type Verdict } from './verdict.ts';

export interface JudgeOptions {
  /** A baseline run directory to compare with. */
  baseline?: string;
  alpha?: number;
  tolerance?: number;
  trimS?: number;
}

export interface Judgement {
  /** The run's summary with its thresholds re-evaluated. */
  summary: RunSummary;
  info: RunInfo | null;
  dir: string;
  comparison: BaselineComparison | null;
  verdict: Verdict;
}

export async function judgeRun(runDir: string, options: JudgeOptions = {}): Promise<Judgement> {
  const run = await readRun(runDir);
  const baseline = options.baseline ? await readRun(options.baseline) : null;
  if (baseline && !baseline.summary.valid) {
    throw new UserError(
      `baseline run ${baseline.summary.runId} is marked invalid (${baseline.summary.invalidReasons.join('; ') || 'no reason recorded'}); compare against a valid run`,
    );
  }

  const stored = run.summary.thresholds;
  const thresholds = evaluateThresholds(thresholdsFromResults(stored), run.summary.metrics, {
    percentile: percentileLookupFromHdr(run.histograms),
  });
  thresholds.forEach((result, index) => {
    if (stored[index] && stored[index].ok !== result.ok) {
      log.warn(
        'gate',
        `${result.metric} '${result.expression}': summary.json says ${stored[index].ok ? 'passed' : 'failed'}, re-evaluated ${result.ok ? 'passed' : 'failed'}`,
      );
    }
  });
  const summary: RunSummary = { ...run.summary, thresholds };

  const comparison = baseline
    ? await compareRuns(
        { dir: baseline.dir, runId: baseline.summary.runId },
        { dir: run.dir, runId: summary.runId },
        {
          alpha: options.alpha ?? COMPARE_DEFAULTS.alpha,
          tolerance: options.tolerance ?? COMPARE_DEFAULTS.tolerance,
          trimS: options.trimS ?? COMPARE_DEFAULTS.trimS,
        },
      )
    : null;
  return {
    summary,
    info: run.info,
    dir: run.dir,
    comparison,
    verdict: decideVerdict(summary, comparison, { rejudging: true }),
  };
}
