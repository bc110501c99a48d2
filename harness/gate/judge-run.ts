/**
 * Judging a finished run (the `gate` command): its thresholds re-evaluated from its metrics and
 * histograms — the summary's own results are only a record —, its run-level values for a comparison,
 * and its verdict. Reads run directories; writes nothing.
 */
import { log } from '../common/log.ts';
import type { RunInfo, RunSummary } from '../common/summary-types.ts';
import { readRun } from '../results/files/index.ts';
import { percentileLookupFromHdr } from './hdr-percentiles.ts';
import { type RunValues, runValuesOf } from './run-values.ts';
import { evaluateThresholds, thresholdsFromResults } from './thresholds.ts';
import { decideVerdict, type Verdict } from './verdict.ts';

export interface Judgement {
  /** The run's summary with its thresholds re-evaluated. */
  summary: RunSummary;
  info: RunInfo | null;
  dir: string;
  /** One value per metric, from the re-judged summary (what a comparison of runs takes). */
  values: RunValues;
  verdict: Verdict;
}

export async function judgeRun(runDir: string): Promise<Judgement> {
  const run = await readRun(runDir);

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
  const verdict = decideVerdict(summary, { rejudging: true });

  // A comparison must refuse what the run's own verdict refuses: an interrupted run is invalid when
  // re-judged (verdict.ts), even one an older harness saved as valid.
  const values = runValuesOf(summary, run.info, run.dir);
  if (verdict.status === 'invalid' && values.valid) {
    values.valid = false;
    values.invalidReasons = [
      `interrupted (${summary.aborted?.by}): ${summary.aborted?.reason}`,
      ...values.invalidReasons,
    ];
  }
  return { summary, info: run.info, dir: run.dir, values, verdict };
}
