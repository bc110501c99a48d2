/**
 * Judging runs against a baseline (the `gate --baseline` command): each run re-judged on its own
 * (thresholds), the baseline loaded and checked to be comparable (same scenario, target, stack shape and
 * workload, same kind of host), then a comparison of the runs' values against the baseline's runs —
 * independent samples, since a stored baseline did not share the candidate's machine state — and the
 * verdict. Reads files; writes nothing.
 */
import { UserError } from '../common/errors.ts';
import { checkComparable, loadBaseline, type StoredBaseline } from './baselines/store.ts';
import { type ComparisonOptions, compareRunValues, type RunComparison } from './compare-runs.ts';
import { type Judgement, judgeRun } from './judge-run.ts';
import { decideComparisonVerdict, type Verdict } from './verdict.ts';

export interface BaselineJudgeOptions extends Pick<ComparisonOptions, 'alpha' | 'effect'> {
  /** Where named baselines live (`baselines/` by default). */
  baselinesDir?: string;
  /** Accept a baseline measured on another kind of machine. */
  anyHost?: boolean;
}

export interface BaselineJudgement {
  runs: Judgement[];
  baseline: StoredBaseline;
  comparison: RunComparison;
  verdict: Verdict;
}

export async function judgeAgainstBaseline(
  runDirs: readonly string[],
  baselineRef: string,
  options: BaselineJudgeOptions = {},
): Promise<BaselineJudgement> {
  const runs: Judgement[] = [];
  for (const dir of runDirs) runs.push(await judgeRun(dir));
  const baseline = await loadBaseline(baselineRef, { dir: options.baselinesDir });
  const invalid = baseline.runs.filter((run) => !run.valid);
  if (invalid.length) {
    throw new UserError(
      `baseline run ${invalid.map((run) => `${run.runId} is marked invalid (${run.invalidReasons.join('; ') || 'no reason recorded'})`).join(', ')}; compare against valid runs`,
    );
  }
  const candidates = runs.map((run) => run.values);
  checkComparable(baseline, candidates, { anyHost: options.anyHost });
  const comparison = compareRunValues(baseline.runs, candidates, { ...options, paired: false });
  return {
    runs,
    baseline,
    comparison,
    verdict: decideComparisonVerdict(comparison, { baseline: baseline.runs, current: candidates }),
  };
}
