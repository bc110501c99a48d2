/**
 * Hodges–Lehmann shift estimates with distribution-free confidence intervals, for run-level values.
 *
 * Why these intervals: a CI job can afford only a few runs per side (k of 5–15), and run-level values
 * (a run's p50, p99, mean latency, deliveries/s) are skewed and heavy-tailed on a shared runner. The
 * Wilcoxon signed-rank (paired, interleaved A B A B runs) and Mann–Whitney rank-sum (two independent
 * samples: a stored baseline against new runs) intervals assume no distribution shape, only independent
 * runs (and, for the paired one, differences symmetric about the shift), and their coverage is exact at any
 * k, not asymptotic: with 8 pairs a 98.75 % interval really covers the true shift ≥ 98.75 % of the time.
 * The caller takes logarithms, so a shift is a ratio, and does any multiple-testing (Bonferroni)
 * correction by asking for a higher `confidence`; nothing here knows how many metrics are tested.
 *
 * The intervals are the classic ones (Hollander & Wolfe, "Nonparametric Statistical Methods", §3.3 and
 * §4.3). Without ties, R 4.2.2 reproduces them:
 *   paired:     wilcox.test(current, baseline, paired = TRUE, conf.int = TRUE, exact = TRUE, correct = FALSE, conf.level = confidence)
 *   two-sample: wilcox.test(current, baseline, conf.int = TRUE, exact = TRUE, correct = FALSE, conf.level = confidence)
 * (R picks the lower endpoint with `qsignrank(alpha/2, n)` / `qwilcox(alpha/2, m, n)`; that equals ours
 * except when a tail probability equals alpha/2 exactly, where ours takes the narrower interval whose
 * coverage is exactly `confidence`; and where R widens an unreachable interval to the extremes with a
 * warning, this module returns no interval.)
 *
 * Ties and zeros: R abandons the exact interval when there are ties (or zero differences) and switches to a
 * tie-corrected normal approximation. Here the same order-statistic rule is applied whatever the data: the
 * (C+1)-th smallest and largest Walsh average / pairwise difference, with C from the tie-free null. Ties
 * in run-level latencies are rare (values are means and interpolated percentiles), and with ties the
 * interval only becomes approximate, like R's; `exact` describes how C was computed, not the data.
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';

export interface ShiftInterval {
  /** Hodges–Lehmann estimate of the shift current − baseline (paired: median of the Walsh averages of the differences; two-sample: median of all pairwise differences current_j − baseline_i). */
  estimate: number;
  /** Distribution-free confidence interval of the shift; null when the sample is too small to reach `confidence`. */
  low: number | null;
  high: number | null;
  /** The confidence asked for (e.g. 0.9875 = 1 − 0.05/4 after a Bonferroni correction for 4 metrics). */
  confidence: number;
  /** The interval's actual coverage (exact, ≥ confidence, because rank distributions are discrete; the normal approximation's nominal value when not exact); null when no interval. */
  coverage: number | null;
  /** The smallest sample that can reach `confidence`: pairs for signed-rank; runs per side (equal sides) for rank-sum. */
  minimumSize: number;
  method: 'signed-rank' | 'rank-sum';
  exact: boolean;
}

/** Up to this many pairs the signed-rank null is computed exactly (n·n(n+1)/2 ≈ 4 M steps at 200). */
export const EXACT_SIGNED_RANK_MAX_PAIRS = 200;
/** Up to this many pairwise differences (m·n) the rank-sum null is computed exactly (min(m,n)·m·n steps). */
export const EXACT_RANK_SUM_MAX_PRODUCT = 40_000;

/**
 * Paired design (interleaved runs): `differences[i]` = current_i − baseline_i (on the log scale a log ratio).
 * Interval from the sorted n(n+1)/2 Walsh averages (d_i + d_j)/2, i ≤ j, and the exact signed-rank null.
 */
export function pairedShift(differences: readonly number[], confidence: number): ShiftInterval {
  validateConfidence(confidence);
  validateSample('differences', differences);
  const n = differences.length;
  const walshAverages = new Float64Array((n * (n + 1)) / 2);
  let next = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) walshAverages[next++] = (differences[i]! + differences[j]!) / 2;
  }
  walshAverages.sort();
  const exact = n <= EXACT_SIGNED_RANK_MAX_PAIRS;
  const tailCount = exact
    ? exactTailCount(signedRankNullDistribution(n), confidence)
    : normalTailCount((n * (n + 1)) / 4, Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24), confidence);
  return {
    ...orderStatisticInterval(walshAverages, tailCount),
    confidence,
    minimumSize: signedRankMinimumPairs(confidence),
    method: 'signed-rank',
    exact,
  };
}

/**
 * Two independent samples (stored baseline runs, new runs): interval from the sorted m·n differences
 * current_j − baseline_i and the exact Mann–Whitney U null.
 */
export function twoSampleShift(
  baseline: readonly number[],
  current: readonly number[],
  confidence: number,
): ShiftInterval {
  validateConfidence(confidence);
  validateSample('baseline', baseline);
  validateSample('current', current);
  const m = baseline.length;
  const n = current.length;
  const differences = new Float64Array(m * n);
  let next = 0;
  for (const b of baseline) {
    for (const c of current) differences[next++] = c - b;
  }
  differences.sort();
  const exact = m * n <= EXACT_RANK_SUM_MAX_PRODUCT;
  const tailCount = exact
    ? exactTailCount(rankSumNullDistribution(m, n), confidence)
    : normalTailCount((m * n) / 2, Math.sqrt((m * n * (m + n + 1)) / 12), confidence);
  return {
    ...orderStatisticInterval(differences, tailCount),
    confidence,
    minimumSize: rankSumMinimumRunsPerSide(confidence),
    method: 'rank-sum',
    exact,
  };
}

/**
 * P(T+ = t) for t = 0 … n(n+1)/2 under the null (each rank's sign a fair coin), by the recurrence
 * p_k(t) = ½·p_{k−1}(t) + ½·p_{k−1}(t − k). Probabilities rather than counts: 2^n overflows integers.
 */
export function signedRankNullDistribution(n: number): Float64Array {
  const probabilities = new Float64Array((n * (n + 1)) / 2 + 1);
  probabilities[0] = 1;
  for (let rank = 1; rank <= n; rank++) {
    const top = (rank * (rank + 1)) / 2;
    for (let t = top; t >= rank; t--) probabilities[t] = 0.5 * (probabilities[t]! + probabilities[t - rank]!);
    for (let t = Math.min(rank - 1, top); t >= 0; t--) probabilities[t] = 0.5 * probabilities[t]!;
  }
  return probabilities;
}

/**
 * P(U = u) for u = 0 … m·n under the null (every split of the m+n ranks equally likely). The counts are the
 * coefficients of the Gaussian binomial [m+n choose s]_q = Π_{i=1..s} (1 − q^{l+i}) / (1 − q^i), s = min(m,n),
 * l = max(m,n) (Harding 1984): each factor is a division by (1 − q^i) (a running sum with stride i) and a
 * multiplication by (1 − q^{l+i}); rescaling each step by i/(l+i) keeps them probabilities, not counts
 * that overflow.
 */
export function rankSumNullDistribution(m: number, n: number): Float64Array {
  const small = Math.min(m, n);
  const large = Math.max(m, n);
  const probabilities = new Float64Array(m * n + 1);
  probabilities[0] = 1;
  for (let i = 1; i <= small; i++) {
    const degree = i * large;
    for (let t = i; t <= degree; t++) probabilities[t] = probabilities[t]! + probabilities[t - i]!;
    const stride = large + i;
    const scale = i / (large + i);
    for (let t = degree; t >= 0; t--) {
      const value = t >= stride ? probabilities[t]! - probabilities[t - stride]! : probabilities[t]!;
      probabilities[t] = Math.max(0, value) * scale;
    }
  }
  return probabilities;
}

/** Smallest n with 2·2^−n ≤ 1 − confidence: below it even [min, max] of the Walsh averages covers less. */
export function signedRankMinimumPairs(confidence: number): number {
  let n = 1;
  while (2 * 2 ** -n > 1 - confidence) n++;
  return n;
}

/** Smallest equal m = n with 2 / C(2n, n) ≤ 1 − confidence. */
export function rankSumMinimumRunsPerSide(confidence: number): number {
  let n = 1;
  let centralBinomial = 2; // C(2, 1)
  while (2 / centralBinomial > 1 - confidence) {
    centralBinomial *= (2 * (2 * n + 1)) / (n + 1); // C(2n+2, n+1) = C(2n, n) · (2n+1)(2n+2) / (n+1)²
    n++;
  }
  return n;
}

/** A tail count C (P(statistic ≤ C) ≤ (1 − confidence)/2) and the two-sided coverage it gives. */
interface TailCount {
  count: number;
  coverage: number;
}

/** The largest C with P(T ≤ C) ≤ (1 − confidence)/2 under the exact null; count −1 when even C = 0 is too likely. */
function exactTailCount(probabilities: Float64Array, confidence: number): TailCount {
  const halfAlpha = (1 - confidence) / 2;
  let cumulative = 0;
  let count = -1;
  for (let t = 0; t < probabilities.length; t++) {
    if (cumulative + probabilities[t]! > halfAlpha) break;
    cumulative += probabilities[t]!;
    count = t;
  }
  return { count, coverage: 1 - 2 * cumulative };
}

/**
 * Beyond the exact sizes: the largest C with Φ((C − mean)/sd) ≤ (1 − confidence)/2, without continuity
 * correction (like R's correct = FALSE) and without tie correction. In the far tail the normal is heavier
 * than the rank nulls, so C comes out a few ranks below the exact one: a slightly wider, conservative interval.
 */
function normalTailCount(mean: number, sd: number, confidence: number): TailCount {
  const count = Math.floor(mean + normalQuantile((1 - confidence) / 2, 0, 1) * sd);
  return { count, coverage: 1 - 2 * normalCdf((count - mean) / sd, 0, 1) };
}

/** Median of the sorted averages/differences, and their (C+1)-th smallest and (C+1)-th largest as the interval. */
function orderStatisticInterval(
  sorted: Float64Array,
  tail: TailCount,
): Pick<ShiftInterval, 'estimate' | 'low' | 'high' | 'coverage'> {
  const middle = sorted.length >> 1;
  const estimate = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  if (tail.count < 0) return { estimate, low: null, high: null, coverage: null };
  return {
    estimate,
    low: sorted[tail.count]!,
    high: sorted[sorted.length - 1 - tail.count]!,
    coverage: tail.coverage,
  };
}

function validateConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
}

function validateSample(name: string, values: readonly number[]): void {
  if (values.length === 0) throw new RangeError(`${name}: the sample is empty`);
  const bad = values.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) throw new RangeError(`${name}[${bad}] is not a finite number: ${values[bad]}`);
}
