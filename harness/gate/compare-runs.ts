/**
 * Judges k runs of a candidate against k runs of a baseline, one value per run per metric (run-values.ts).
 *
 * Why runs and not seconds: seconds within a run are autocorrelated and, on a shared machine, the
 * variation that dominates is between runs (what the neighbours do, the machine's state). Testing one
 * run's ~20 seconds against another's as if independent failed 35 % of identical pairs here.
 *
 * How, per metric:
 *   - on the log scale (a shift there is a ratio: +15 % whatever the metric's size);
 *   - paired when the runs were interleaved A B A B (each pair shared the machine's state; their ratio
 *     cancels drift), independent otherwise (a stored baseline against new runs);
 *   - Hodges–Lehmann estimate with its exact distribution-free confidence interval (signed-rank for
 *     pairs, rank-sum for independent samples: statistics/rank-intervals.ts), at confidence
 *     1 − α/m for the m metrics compared (Bonferroni: the family of metrics has error rate ≤ α);
 *   - the verdict asks one question, "is the candidate worse by the effect size δ or more?":
 *       pass          the interval's worse end is below δ — any regression is smaller than δ;
 *       regression    the interval excludes 0 on the worse side and the estimate is at least δ;
 *       inconclusive  anything else: the data cannot say at δ (more runs, or a larger δ, would).
 *     A false "regression" on identical builds needs the interval to miss on the worse side: ≤ α/2 for
 *     the whole family. A true slowdown of δ can never "pass" unless its interval misses it: ≤ α/2.
 * Overall: any regression → regression; else any inconclusive → inconclusive; else pass.
 */
import { UserError } from '../common/errors.ts';
import { formatPercent, formatPercentChange as percent } from '../common/format.ts';
import { median } from '../common/median.ts';
import { RUN_METRICS, type RunMetricSpec, type RunValues } from './run-values.ts';
import { pairedShift, type ShiftInterval, twoSampleShift } from './statistics/rank-intervals.ts';

export interface ComparisonOptions {
  /** Family-wise error rate over the metrics compared (default 0.05). */
  alpha?: number;
  /** The smallest slowdown that matters, as a fraction (default 0.05 = 5 %). */
  effect?: number;
  /** baseline[i] and current[i] ran back to back (interleaved): judge their ratios. */
  paired?: boolean;
  metrics?: readonly RunMetricSpec[];
}

export const COMPARISON_DEFAULTS = { alpha: 0.05, effect: 0.05 } as const;

export type MetricVerdict = 'pass' | 'regression' | 'inconclusive';
export type ComparisonVerdict = MetricVerdict;

export interface SideValues {
  /** One value per run, in the order given (nulls dropped). */
  values: number[];
  /** Median of the runs' values; null without values. */
  median: number | null;
}

export interface MetricComparison {
  id: string;
  metric: string;
  unit: RunMetricSpec['unit'];
  better: RunMetricSpec['better'];
  baseline: SideValues;
  current: SideValues;
  /**
   * The candidate's change in the metric's own direction as a fraction (+0.12: 12 % higher), its
   * estimate and interval; null when not computed.
   */
  change: { estimate: number; low: number | null; high: number | null } | null;
  /** Confidence of the interval (1 − α/m) and its exact coverage. */
  confidence: number;
  coverage: number | null;
  verdict: MetricVerdict;
  /** One line: why this verdict. */
  reason: string;
}

export interface RunComparison {
  design: 'paired' | 'independent';
  baselineRuns: string[];
  currentRuns: string[];
  alpha: number;
  effect: number;
  metrics: MetricComparison[];
  verdict: ComparisonVerdict;
  /** One line for headlines: "2 of 4 metrics inconclusive at 5 %", "delivery_latency p50 +14.8 % [+9.1, +20.3]". */
  summary: string;
}

/** The interval as relative change in the metric's direction: exp(shift) − 1. */
function asChange(shift: ShiftInterval): NonNullable<MetricComparison['change']> {
  const relative = (x: number | null) => (x === null ? null : Math.expm1(x));
  return { estimate: Math.expm1(shift.estimate), low: relative(shift.low), high: relative(shift.high) };
}

/**
 * The verdict from a shift interval on the log scale, oriented so that positive is worse. Exported for
 * calibrate's simulation: the same rule, applied to resampled noise.
 */
export function judgeShift(
  worse: { estimate: number; low: number | null; high: number | null },
  effect: number,
): MetricVerdict {
  if (worse.low === null || worse.high === null) return 'inconclusive';
  const threshold = Math.log1p(effect);
  if (worse.high < threshold) return 'pass';
  if (worse.low > 0 && worse.estimate >= threshold) return 'regression';
  return 'inconclusive';
}

function sideOf(values: Array<number | null>): SideValues {
  const present = values.filter((v): v is number => v !== null);
  return { values: present, median: median(present) };
}

function compareMetric(
  spec: RunMetricSpec,
  baseline: readonly RunValues[],
  current: readonly RunValues[],
  settings: { confidence: number; effect: number; paired: boolean },
): MetricComparison {
  const a = baseline.map((run) => run.values[spec.id] ?? null);
  const b = current.map((run) => run.values[spec.id] ?? null);
  const base = sideOf(a);
  const now = sideOf(b);
  const result: MetricComparison = {
    id: spec.id,
    metric: spec.metric,
    unit: spec.unit,
    better: spec.better,
    baseline: base,
    current: now,
    change: null,
    confidence: settings.confidence,
    coverage: null,
    verdict: 'inconclusive',
    reason: '',
  };
  const missing = (side: string, values: Array<number | null>, runs: readonly RunValues[]) => {
    const without = runs.filter((_, i) => values[i] === null).map((run) => run.runId);
    return without.length
      ? `${side} run${without.length > 1 ? 's' : ''} ${without.join(', ')} measured no ${spec.metric}`
      : null;
  };
  const gaps = [missing('baseline', a, baseline), missing('candidate', b, current)].filter(Boolean);
  if (gaps.length) {
    result.reason = `${gaps.join('; ')}: nothing to judge there`;
    return result;
  }

  const log = (values: number[]) => values.map(Math.log);
  const shift = settings.paired
    ? pairedShift(
        base.values.map((value, i) => Math.log(now.values[i]!) - Math.log(value)),
        settings.confidence,
      )
    : twoSampleShift(log(base.values), log(now.values), settings.confidence);
  const change = asChange(shift);
  result.change = change;
  result.coverage = shift.coverage;
  const sign = spec.better === 'lower' ? 1 : -1;
  const worse =
    shift.low === null || shift.high === null
      ? { estimate: sign * shift.estimate, low: null, high: null }
      : {
          estimate: sign * shift.estimate,
          low: Math.min(sign * shift.low, sign * shift.high),
          high: Math.max(sign * shift.low, sign * shift.high),
        };
  result.verdict = judgeShift(worse, settings.effect);

  const size = settings.paired ? `${base.values.length} pairs` : `${base.values.length} + ${now.values.length} runs`;
  const interval =
    change.low === null || change.high === null
      ? null
      : `${percent(change.estimate)} [${percent(change.low)}, ${percent(change.high)}]`;
  if (interval === null) {
    const unit = settings.paired ? 'pairs' : 'runs per side';
    result.reason = `${size} cannot reach ${(settings.confidence * 100).toFixed(2)} % confidence; it takes ≥ ${shift.minimumSize} ${unit}`;
  } else if (result.verdict === 'pass') {
    result.reason = `${interval}: any regression is below ${formatPercent(settings.effect)}`;
  } else if (result.verdict === 'regression') {
    result.reason = `${interval}: worse, by ${formatPercent(settings.effect)} or more`;
  } else if (worse.low !== null && worse.low > 0) {
    result.reason = `${interval}: worse, but the estimate is below ${formatPercent(settings.effect)} and the interval reaches past it`;
  } else {
    result.reason = `${interval}: too wide to decide at ${formatPercent(settings.effect)}`;
  }
  return result;
}

/**
 * Compares runs. Throws UserError (exit 2) when there is nothing to judge: no runs on a side, unequal
 * sides for a paired design, or no metric measured on either side. Invalid runs are the caller's to
 * refuse or report (a comparison over them would judge the load generator, not the system).
 */
export function compareRunValues(
  baseline: readonly RunValues[],
  current: readonly RunValues[],
  options: ComparisonOptions = {},
): RunComparison {
  const alpha = options.alpha ?? COMPARISON_DEFAULTS.alpha;
  const effect = options.effect ?? COMPARISON_DEFAULTS.effect;
  const paired = options.paired ?? false;
  if (!(alpha > 0 && alpha < 1)) throw new UserError(`alpha ${alpha}: expected a level between 0 and 1, e.g. 0.05`);
  if (!(effect > 0 && effect < 10)) throw new UserError(`effect ${effect}: expected a fraction above 0, e.g. 0.05`);
  if (baseline.length === 0 || current.length === 0) {
    throw new UserError(`nothing to compare: ${baseline.length} baseline and ${current.length} candidate runs`);
  }
  if (paired && baseline.length !== current.length) {
    throw new UserError(
      `a paired comparison needs as many baseline runs as candidate runs (${baseline.length} ≠ ${current.length})`,
    );
  }
  const specs = (options.metrics ?? RUN_METRICS).filter(
    (spec) => baseline.some((run) => run.values[spec.id] != null) || current.some((run) => run.values[spec.id] != null),
  );
  if (specs.length === 0) {
    throw new UserError(
      'nothing to compare: neither side measured any of the compared metrics (no deliveries, no pushes)',
    );
  }
  const confidence = 1 - alpha / specs.length;
  const metrics = specs.map((spec) => compareMetric(spec, baseline, current, { confidence, effect, paired }));
  const regressions = metrics.filter((m) => m.verdict === 'regression');
  const inconclusive = metrics.filter((m) => m.verdict === 'inconclusive');
  const verdict: ComparisonVerdict = regressions.length ? 'regression' : inconclusive.length ? 'inconclusive' : 'pass';
  const named = (list: MetricComparison[]) =>
    list.map((m) => `${m.id} ${m.change ? percent(m.change.estimate) : 'n/a'}`).join(', ');
  const summary =
    verdict === 'regression'
      ? `regression: ${named(regressions)}`
      : verdict === 'inconclusive'
        ? `inconclusive at ${formatPercent(effect)}: ${inconclusive.length} of ${metrics.length} metrics (${inconclusive.map((m) => m.id).join(', ')})`
        : `no regression of ${formatPercent(effect)} or more in ${metrics.length} metrics`;
  return {
    design: paired ? 'paired' : 'independent',
    baselineRuns: baseline.map((run) => run.runId),
    currentRuns: current.map((run) => run.runId),
    alpha,
    effect,
    metrics,
    verdict,
    summary,
  };
}
