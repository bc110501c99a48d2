/**
 * Compares a run against a baseline run from their per-second samples (timeseries.ndjson), the way
 * benchstat compares benchmark repetitions: a two-sided Mann-Whitney U test per series, `~` when the
 * difference is not significant, and a change only counts when it is also larger than a tolerance.
 *
 * The U test: for two groups the Kruskal-Wallis H statistic is the square of the Mann-Whitney z
 * (normal approximation, tie-corrected, no continuity correction), and its chi-square(1) p-value is the
 * two-sided U-test p-value. `@stdlib/stats-kruskal-test` computes it; baseline.test.ts checks it against
 * published examples. The normal approximation wants ≥ ~8 samples a side; we refuse below `minSamples`.
 *
 * Caveat: per-second samples of one run are autocorrelated (a slow minute makes 60 slow samples), which
 * makes p-values optimistic. The tolerance is the guard against calling small, real-but-irrelevant or
 * autocorrelation-inflated differences a regression; keep runs ≥ 30 s and compare like with like.
 */
import kruskalTest from '@stdlib/stats-kruskal-test';
import type { TimeseriesPoint } from '../common/summary-types.ts';
import { readTimeseries } from '../results/files/index.ts';

/** What one per-second sample of a series is. `perSecond` = a counter's increment that second. */
export type SeriesStat = 'avg' | 'med' | 'p90' | 'p95' | 'p99' | 'max' | 'perSecond';

export interface SeriesSpec {
  /** Label in reports, e.g. "delivery_latency p99". */
  id: string;
  metric: string;
  stat: SeriesStat;
  /** Which direction is an improvement. */
  better: 'lower' | 'higher';
  unit: 'ms' | '/s';
}

export const DEFAULT_SERIES: readonly SeriesSpec[] = [
  { id: 'delivery_latency p99', metric: 'delivery_latency', stat: 'p99', better: 'lower', unit: 'ms' },
  { id: 'delivery_latency mean', metric: 'delivery_latency', stat: 'avg', better: 'lower', unit: 'ms' },
  { id: 'messages_delivered /s', metric: 'messages_delivered', stat: 'perSecond', better: 'higher', unit: '/s' },
  { id: 'publish_duration p99', metric: 'publish_duration', stat: 'p99', better: 'lower', unit: 'ms' },
  { id: 'push_e2e_latency p99', metric: 'push_e2e_latency', stat: 'p99', better: 'lower', unit: 'ms' },
  { id: 'pushes_delivered /s', metric: 'pushes_delivered', stat: 'perSecond', better: 'higher', unit: '/s' },
];

export interface CompareOptions {
  /** Significance level; p < alpha is significant (benchstat default 0.05). */
  alpha?: number;
  /** Relative change (fraction of the baseline median) below which a significant difference is still `~`. */
  tolerance?: number;
  /** Fewer per-second samples than this on either side → verdict `?`. */
  minSamples?: number;
  /** Seconds dropped at the start and at the end of each run (ramp-up, drain). */
  trimS?: number;
  series?: readonly SeriesSpec[];
}

export const COMPARE_DEFAULTS = { alpha: 0.05, tolerance: 0.05, minSamples: 8, trimS: 0 } as const;

export type SeriesVerdict = '~' | 'better' | 'worse' | '?';

export interface SideStats {
  n: number;
  /** Median of the per-second samples; null without samples. */
  median: number | null;
}

export interface SeriesComparison {
  id: string;
  metric: string;
  stat: SeriesStat;
  unit: SeriesSpec['unit'];
  better: SeriesSpec['better'];
  baseline: SideStats;
  current: SideStats;
  /** (current − baseline) / baseline of the medians; null when the baseline median is 0 or missing. */
  relativeChange: number | null;
  /** Two-sided Mann-Whitney U p-value; null when not computed (too few samples). */
  pValue: number | null;
  significant: boolean;
  verdict: SeriesVerdict;
  /** worse AND significant AND beyond tolerance: fails the gate. */
  regression: boolean;
  /** Why the verdict is `?`, e.g. "baseline has 3 samples (< 8)". */
  note?: string;
}

export interface BaselineComparison {
  baselineRunId: string;
  currentRunId: string;
  alpha: number;
  tolerance: number;
  minSamples: number;
  trimS: number;
  series: SeriesComparison[];
  regressions: number;
}

/** Two-sided Mann-Whitney U test p-value (normal approximation with tie correction). */
export function mannWhitneyPValue(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 || b.length === 0) throw new Error('mannWhitneyPValue needs samples on both sides');
  const first = a[0];
  // Every value equal: no ranks to separate (the tie correction would divide by zero).
  if ([...a, ...b].every((value) => value === first)) return 1;
  return kruskalTest([...a], [...b]).pValue;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? null) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function sampleOf(point: TimeseriesPoint, spec: SeriesSpec): number | undefined {
  if (spec.stat === 'perSecond') return point.counters[spec.metric];
  const trend = point.trends[spec.metric];
  // Seconds without samples carry no latency information (their zeros are not measurements).
  if (!trend || trend.count === 0) return undefined;
  return trend[spec.stat];
}

/**
 * Per-second samples of each series from a run's points (any iterable, e.g. a whole file in a test).
 * A counter absent from a second counts 0 that second, if it appears anywhere in the run.
 */
export class SeriesCollector {
  private readonly samples = new Map<string, Array<{ t: number; value: number | undefined }>>();
  private readonly seen = new Set<string>();

  constructor(private readonly specs: readonly SeriesSpec[]) {
    for (const spec of specs) this.samples.set(spec.id, []);
  }

  add(point: TimeseriesPoint): void {
    for (const spec of this.specs) {
      const value = sampleOf(point, spec);
      if (value !== undefined && Number.isFinite(value)) this.seen.add(spec.id);
      this.samples.get(spec.id)?.push({ t: point.t, value: Number.isFinite(value) ? value : undefined });
    }
  }

  /** Samples by series id, after dropping `trimS` seconds at each end of the run. */
  result(trimS = 0): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const list of this.samples.values()) {
      for (const { t } of list) {
        first = Math.min(first, t);
        last = Math.max(last, t);
      }
    }
    for (const spec of this.specs) {
      const list = this.samples.get(spec.id) ?? [];
      if (!this.seen.has(spec.id)) {
        out[spec.id] = [];
        continue;
      }
      out[spec.id] = list
        .filter(({ t }) => t >= first + trimS && t <= last - trimS)
        .flatMap(({ value }) => (value === undefined ? (spec.stat === 'perSecond' ? [0] : []) : [value]));
    }
    return out;
  }
}

export function collectSeries(
  points: Iterable<TimeseriesPoint>,
  specs: readonly SeriesSpec[] = DEFAULT_SERIES,
  trimS = 0,
): Record<string, number[]> {
  const collector = new SeriesCollector(specs);
  for (const point of points) collector.add(point);
  return collector.result(trimS);
}

/** Streams a run's timeseries.ndjson into per-second series (memory: one number per second per series). */
export async function readSeries(
  runDir: string,
  specs: readonly SeriesSpec[] = DEFAULT_SERIES,
  trimS = 0,
): Promise<Record<string, number[]>> {
  const collector = new SeriesCollector(specs);
  for await (const point of readTimeseries(runDir)) collector.add(point);
  return collector.result(trimS);
}

function compareOne(
  spec: SeriesSpec,
  baseline: readonly number[],
  current: readonly number[],
  options: Required<Pick<CompareOptions, 'alpha' | 'tolerance' | 'minSamples'>>,
): SeriesComparison {
  const base: SideStats = { n: baseline.length, median: median(baseline) };
  const now: SideStats = { n: current.length, median: median(current) };
  const relativeChange =
    base.median !== null && now.median !== null && base.median !== 0 ? (now.median - base.median) / base.median : null;
  const result: SeriesComparison = {
    id: spec.id,
    metric: spec.metric,
    stat: spec.stat,
    unit: spec.unit,
    better: spec.better,
    baseline: base,
    current: now,
    relativeChange,
    pValue: null,
    significant: false,
    verdict: '?',
    regression: false,
  };
  const short = [
    base.n < options.minSamples ? `baseline has ${base.n} samples` : null,
    now.n < options.minSamples ? `current run has ${now.n} samples` : null,
  ].filter(Boolean);
  if (short.length) {
    result.note = `${short.join(', ')} (< ${options.minSamples})`;
    return result;
  }
  result.pValue = mannWhitneyPValue(baseline, current);
  result.significant = result.pValue < options.alpha;
  const difference = (now.median ?? 0) - (base.median ?? 0);
  const beyondTolerance = relativeChange === null ? difference !== 0 : Math.abs(relativeChange) > options.tolerance;
  if (!result.significant || !beyondTolerance || difference === 0) {
    result.verdict = '~';
    return result;
  }
  const worse = spec.better === 'lower' ? difference > 0 : difference < 0;
  result.verdict = worse ? 'worse' : 'better';
  result.regression = worse;
  return result;
}

/**
 * Compares per-second series. Series with no data in either run are left out; series with data on one
 * side only are listed with verdict `?`.
 */
export function compareSeries(
  baseline: Record<string, number[]>,
  current: Record<string, number[]>,
  ids: { baselineRunId: string; currentRunId: string },
  options: CompareOptions = {},
): BaselineComparison {
  const settings = {
    alpha: options.alpha ?? COMPARE_DEFAULTS.alpha,
    tolerance: options.tolerance ?? COMPARE_DEFAULTS.tolerance,
    minSamples: Math.max(2, options.minSamples ?? COMPARE_DEFAULTS.minSamples),
  };
  const series: SeriesComparison[] = [];
  for (const spec of options.series ?? DEFAULT_SERIES) {
    const a = baseline[spec.id] ?? [];
    const b = current[spec.id] ?? [];
    if (a.length === 0 && b.length === 0) continue;
    series.push(compareOne(spec, a, b, settings));
  }
  return {
    ...ids,
    ...settings,
    trimS: options.trimS ?? COMPARE_DEFAULTS.trimS,
    series,
    regressions: series.filter((s) => s.regression).length,
  };
}

/** Reads both runs' timeseries.ndjson and compares them. */
export async function compareRuns(
  baseline: { dir: string; runId: string },
  current: { dir: string; runId: string },
  options: CompareOptions = {},
): Promise<BaselineComparison> {
  const specs = options.series ?? DEFAULT_SERIES;
  const trimS = options.trimS ?? COMPARE_DEFAULTS.trimS;
  const [a, b] = await Promise.all([readSeries(baseline.dir, specs, trimS), readSeries(current.dir, specs, trimS)]);
  return compareSeries(a, b, { baselineRunId: baseline.runId, currentRunId: current.runId }, options);
}
