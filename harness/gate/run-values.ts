/**
 * A run reduced to the numbers a comparison judges: one value per metric per run (its p50, p99 and mean
 * delivery latency, its deliveries per second of publishing, the same for pushes). The gate compares
 * runs, not seconds: seconds within a run are autocorrelated, and on a shared machine the variation that
 * matters is between runs, so each run is one sample.
 */
import type { RunInfo, RunSummary, TimelineEvent } from '../common/summary-types.ts';
import { readRun } from '../results/files/index.ts';

export interface RunMetricSpec {
  /** Label in reports and JUnit names, stable across runs and baselines: "delivery_latency p99". */
  id: string;
  metric: string;
  /** A trend's statistic from summary.json, or `perSecond`: the counter over the load window. */
  stat: 'med' | 'p99' | 'avg' | 'perSecond';
  better: 'lower' | 'higher';
  unit: 'ms' | '/s';
}

export const RUN_METRICS: readonly RunMetricSpec[] = [
  { id: 'delivery_latency p50', metric: 'delivery_latency', stat: 'med', better: 'lower', unit: 'ms' },
  { id: 'delivery_latency p99', metric: 'delivery_latency', stat: 'p99', better: 'lower', unit: 'ms' },
  { id: 'delivery_latency mean', metric: 'delivery_latency', stat: 'avg', better: 'lower', unit: 'ms' },
  { id: 'messages_delivered /s', metric: 'messages_delivered', stat: 'perSecond', better: 'higher', unit: '/s' },
  { id: 'push_e2e_latency p50', metric: 'push_e2e_latency', stat: 'med', better: 'lower', unit: 'ms' },
  { id: 'push_e2e_latency p99', metric: 'push_e2e_latency', stat: 'p99', better: 'lower', unit: 'ms' },
  { id: 'pushes_delivered /s', metric: 'pushes_delivered', stat: 'perSecond', better: 'higher', unit: '/s' },
];

export interface RunValues {
  runId: string;
  /** The run directory, when the values were read from one (a stored baseline keeps only the values). */
  dir: string | null;
  startedAt: string;
  scenario: string;
  valid: boolean;
  invalidReasons: string[];
  /** Thresholds that failed in the run (by expression), for the candidate side's verdict. */
  failedThresholds: string[];
  /** By RunMetricSpec id; null when the run has no data for it (nothing delivered, no pushes). */
  values: Record<string, number | null>;
  /** run.json (scenario config, versions, host), null for a run copied without it. */
  info: RunInfo | null;
}

const LOAD_STARTS = ['publish', 'enqueue', 'register done'];
const LOAD_ENDS = ['account', 'done'];

/**
 * The seconds the load ran, from the timeline: publishing (or enqueueing pushes) until accounting began —
 * the drain included, since deliveries land in it. Whole-run duration would add connect time and
 * whole-second rounding, noise that has nothing to do with the system's throughput.
 */
export function loadWindowS(timeline: readonly TimelineEvent[], durationS: number): number | null {
  const phases = timeline.filter((event) => event.kind === 'phase');
  const start = phases.find((event) => LOAD_STARTS.includes(event.name))?.at;
  if (start === undefined) return null;
  const end = phases.find((event) => event.at >= start && LOAD_ENDS.includes(event.name))?.at ?? durationS;
  return end > start ? end - start : null;
}

function metricValue(summary: RunSummary, spec: RunMetricSpec): number | null {
  const metric = summary.metrics[spec.metric];
  if (!metric) return null;
  if (spec.stat === 'perSecond') {
    if (metric.type !== 'counter' || !metric.count) return null;
    const window = loadWindowS(summary.timeline, summary.durationS);
    return window === null ? null : metric.count / window;
  }
  if (metric.type !== 'trend' || !metric.count) return null;
  const value = metric[spec.stat];
  // A comparison works on logarithms (ratios): a zero latency is no measurement, so it is no value.
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
}

export function runValuesOf(
  summary: RunSummary,
  info: RunInfo | null,
  dir: string | null,
  specs: readonly RunMetricSpec[] = RUN_METRICS,
): RunValues {
  return {
    runId: summary.runId,
    dir,
    startedAt: summary.startedAt,
    scenario: summary.scenario,
    valid: summary.valid,
    invalidReasons: summary.invalidReasons,
    failedThresholds: summary.thresholds.filter((t) => !t.ok).map((t) => `${t.metric} '${t.expression}'`),
    values: Object.fromEntries(specs.map((spec) => [spec.id, metricValue(summary, spec)])),
    info,
  };
}

/** Reads a run directory (UserError, exit 2, when it is not one). */
export async function readRunValues(dir: string, specs: readonly RunMetricSpec[] = RUN_METRICS): Promise<RunValues> {
  const run = await readRun(dir);
  return runValuesOf(run.summary, run.info, run.dir, specs);
}
