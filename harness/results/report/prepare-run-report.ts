/**
 * Turns a run's per-second points and timeline into what the page draws: one shared x column (seconds
 * since t0), one spec per chart with its series, and the timeline's markers. Pure data, no HTML, so
 * the choices (which series, downsampling, marker times, units) are unit-tested without a browser.
 */
import type { RunSummary, TimelineEvent, TimeseriesPoint, TrendValues } from '../../common/summary-types.ts';
import { type Column, downsampleMinMax } from './downsample.ts';

/** How an axis formats its ticks (the page script knows these four). */
export type AxisUnit = 'ms' | 'per_s' | 'count' | 'percent';

export interface ChartSeries {
  label: string;
  color: string;
  /** Which y axis: `y` on the left, `y2` on the right. */
  scale: 'y' | 'y2';
  values: Column;
  dash?: number[];
}

export interface AxisSpec {
  unit: AxisUnit;
  label: string;
  /** Logarithmic (base 10): latency tails span three or four decades. Values ≤ 0 are not drawn. */
  log?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  axes: { y: AxisSpec; y2?: AxisSpec };
  series: ChartSeries[];
}

export interface ChartMarker {
  /** Seconds since t0, the same axis as the charts' x. */
  at: number;
  kind: TimelineEvent['kind'];
  name: string;
  detail?: string;
  color: string;
}

export interface ChartPayload {
  x: number[];
  charts: ChartSpec[];
  markers: ChartMarker[];
  /** Per-second points read from the run. */
  pointsIn: number;
  /** Rows drawn per chart after downsampling. */
  rowsOut: number;
  /** Seconds merged into one min/max bucket (1 = not downsampled). */
  bucketSeconds: number;
}

export interface PrepareOptions {
  /** Rows per chart above which series are downsampled (default 600: a 10-minute run is drawn raw). */
  maxPoints?: number;
}

export const DEFAULT_MAX_POINTS = 600;

export const MARKER_COLORS: Record<TimelineEvent['kind'], string> = {
  fault: '#d62728',
  phase: '#555555',
  note: '#8c6d1f',
};

const BLUE = '#1f77b4';
const ORANGE = '#ff7f0e';
const GREEN = '#2ca02c';
const PURPLE = '#9467bd';
const TEAL = '#17becf';
const PINK = '#e377c2';
const BROWN = '#8c564b';

/**
 * The generator's `cpu` sample is the fraction of one core the load generator used in that second
 * (process CPU time ÷ wall time, summed over workers), so 1 = one core busy; drawn as a percentage.
 */
export function cpuPercent(cpu: number): number {
  return cpu * 100;
}

type Pick = (point: TimeseriesPoint) => number | null;

const trend =
  (metric: string, key: keyof TrendValues): Pick =>
  (p) => {
    const values = p.trends[metric];
    return values && values.count > 0 ? values[key] : null;
  };
const counter =
  (metric: string): Pick =>
  (p) =>
    p.counters[metric] ?? 0;
const gauge =
  (metric: string): Pick =>
  (p) =>
    p.gauges[metric] ?? null;

interface SeriesDef {
  label: string;
  color: string;
  pick: Pick;
  scale?: 'y' | 'y2';
  dash?: number[];
}

interface ChartDef {
  id: string;
  title: string;
  axes: ChartSpec['axes'];
  series: SeriesDef[];
}

const DELIVERY_CHARTS: ChartDef[] = [
  {
    id: 'delivery-latency',
    title: 'Delivery latency per second (log scale)',
    axes: { y: { unit: 'ms', label: 'latency', log: true } },
    series: [
      { label: 'p50', color: BLUE, pick: trend('delivery_latency', 'med') },
      { label: 'p90', color: GREEN, pick: trend('delivery_latency', 'p90') },
      { label: 'p99', color: ORANGE, pick: trend('delivery_latency', 'p99') },
      { label: 'max', color: PURPLE, pick: trend('delivery_latency', 'max'), dash: [4, 3] },
    ],
  },
  {
    id: 'throughput',
    title: 'Throughput',
    // Fan-out makes deliveries a multiple of publications, so each gets its own axis.
    axes: { y: { unit: 'per_s', label: 'delivered/s' }, y2: { unit: 'per_s', label: 'published/s' } },
    series: [
      { label: 'delivered/s', color: GREEN, pick: counter('messages_delivered') },
      { label: 'published/s', color: BLUE, pick: counter('messages_published'), scale: 'y2', dash: [4, 3] },
    ],
  },
  {
    id: 'connections',
    title: 'Connections',
    axes: { y: { unit: 'count', label: 'connections' } },
    series: [{ label: 'subscribers connected', color: TEAL, pick: gauge('subscribers_connected') }],
  },
  {
    id: 'loss',
    title: 'Loss, duplicates, reconnects, errors',
    axes: { y: { unit: 'per_s', label: 'events/s' } },
    series: [
      { label: 'lost/s', color: PINK, pick: counter('messages_lost') },
      { label: 'duplicated/s', color: ORANGE, pick: counter('messages_duplicated') },
      { label: 'reordered/s', color: BROWN, pick: counter('messages_reordered') },
      { label: 'reconnects/s', color: BLUE, pick: counter('reconnects') },
      { label: 'errors/s', color: PURPLE, pick: counter('errors'), dash: [4, 3] },
    ],
  },
];

const GENERATOR_CHART: ChartDef[] = [
  {
    id: 'generator',
    title: 'Load generator health',
    axes: { y: { unit: 'percent', label: 'CPU' }, y2: { unit: 'ms', label: 'event-loop delay p99' } },
    series: [
      { label: 'CPU (% of one core)', color: BLUE, pick: (p) => cpuPercent(p.generator.cpu) },
      { label: 'event-loop delay p99', color: ORANGE, pick: (p) => p.generator.eventLoopDelayP99Ms, scale: 'y2' },
    ],
  },
];

const PUSH_CHARTS: ChartDef[] = [
  {
    id: 'push-rates',
    title: 'Push pipeline: rates',
    axes: { y: { unit: 'per_s', label: 'pushes/s' } },
    series: [
      { label: 'enqueued/s', color: BLUE, pick: counter('pushes_enqueued') },
      { label: 'delivered/s', color: GREEN, pick: counter('pushes_delivered') },
      { label: 'failed/s', color: PINK, pick: counter('pushes_failed') },
    ],
  },
  {
    id: 'push-queue',
    title: 'Push pipeline: queue depth',
    axes: { y: { unit: 'count', label: 'pushes queued' } },
    series: [{ label: 'queue depth', color: TEAL, pick: gauge('push_queue_depth') }],
  },
  {
    id: 'push-latency',
    title: 'Push pipeline: enqueue → delivered latency (log scale)',
    axes: { y: { unit: 'ms', label: 'latency', log: true } },
    series: [
      { label: 'p50', color: BLUE, pick: trend('push_e2e_latency', 'med') },
      { label: 'p99', color: ORANGE, pick: trend('push_e2e_latency', 'p99') },
      { label: 'max', color: PURPLE, pick: trend('push_e2e_latency', 'max'), dash: [4, 3] },
    ],
  },
];

const DELIVERY_METRICS = ['delivery_latency', 'messages_published', 'messages_delivered', 'subscribers_connected'];
const PUSH_METRICS = ['pushes_enqueued', 'pushes_delivered', 'pushes_failed', 'push_queue_depth', 'push_e2e_latency'];

function mentions(summary: RunSummary, points: TimeseriesPoint[], metrics: string[]): boolean {
  if (metrics.some((m) => m in summary.metrics)) return true;
  return points.some((p) => metrics.some((m) => m in p.counters || m in p.gauges || m in p.trends));
}

/** The push charts appear when the run pushed anything: a ledger in the summary or a push metric. */
export function hasPushPipeline(summary: RunSummary, points: TimeseriesPoint[]): boolean {
  return Boolean(summary.push_ledger) || mentions(summary, points, PUSH_METRICS);
}

/** The WebSocket delivery charts appear unless the run was push-only. */
export function hasDelivery(summary: RunSummary, points: TimeseriesPoint[]): boolean {
  return mentions(summary, points, DELIVERY_METRICS);
}

/** Values rounded to what a chart can show (≥ 3 significant digits), so the embedded JSON stays small. */
export function roundForChart(value: number | null): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value);
  if (abs >= 1) return Math.round(value * 100) / 100;
  return Math.round(value * 10_000) / 10_000;
}

export function markersFromTimeline(timeline: TimelineEvent[]): ChartMarker[] {
  return [...timeline]
    .sort((a, b) => a.at - b.at)
    .map((e) => ({
      at: e.at,
      kind: e.kind,
      name: e.name,
      ...(e.detail === undefined ? {} : { detail: e.detail }),
      color: MARKER_COLORS[e.kind],
    }));
}

export function prepareCharts(
  summary: RunSummary,
  points: TimeseriesPoint[],
  timeline: TimelineEvent[],
  options: PrepareOptions = {},
): ChartPayload {
  const defs = [
    ...(hasDelivery(summary, points) ? DELIVERY_CHARTS : []),
    ...GENERATOR_CHART,
    ...(hasPushPipeline(summary, points) ? PUSH_CHARTS : []),
  ];
  const x = points.map((p) => p.t);
  const columns: Column[] = defs.flatMap((def) => def.series.map((s) => points.map((p) => roundForChart(s.pick(p)))));
  const sampled = downsampleMinMax(x, columns, options.maxPoints ?? DEFAULT_MAX_POINTS);

  let next = 0;
  const charts: ChartSpec[] = defs.map((def) => ({
    id: def.id,
    title: def.title,
    axes: def.axes,
    series: def.series.map((s) => ({
      label: s.label,
      color: s.color,
      scale: s.scale ?? 'y',
      values: sampled.columns[next++]!,
      ...(s.dash ? { dash: s.dash } : {}),
    })),
  }));

  // Points are one per second, so rows per bucket are seconds per bucket.
  return {
    x: sampled.x,
    charts,
    markers: markersFromTimeline(timeline),
    pointsIn: points.length,
    rowsOut: sampled.x.length,
    bucketSeconds: sampled.bucketRows,
  };
}

export type VerdictTone = 'ok' | 'bad' | 'warn';

export interface Verdict {
  label: string;
  tone: VerdictTone;
}

/** The thresholds' verdict (k6 meaning); the run's validity is reported beside it, not folded in. */
export function verdictOf(summary: RunSummary): Verdict {
  const failed = summary.thresholds.filter((t) => !t.ok).length;
  if (summary.aborted) return { label: `ABORTED by ${summary.aborted.by}: ${summary.aborted.reason}`, tone: 'bad' };
  if (failed > 0) return { label: `FAILED: ${failed} of ${summary.thresholds.length} thresholds`, tone: 'bad' };
  if (summary.thresholds.length === 0) return { label: 'NO THRESHOLDS', tone: 'warn' };
  return { label: `PASSED: ${summary.thresholds.length} thresholds`, tone: 'ok' };
}
