/**
 * The comparison matrix: which cells to run (broadcast mode × room size × engine), the overrides that
 * turn the base scenario into each cell, and the table of results — median and p99 of creation /
 * broadcast / delivery latency, loss, and under a fault how long delivery took to recover.
 */
import { formatCount, formatMs, formatSeconds, NO_DATA } from '../common/format.ts';
import type { MetricSummary, RunSummary, TimeseriesPoint, TrendValues } from '../common/summary-types.ts';

export interface CellLabels {
  mode: string;
  roomSize: number;
  engine: string;
}

export interface CellResult {
  labels: CellLabels;
  summary: RunSummary | null;
  runDir: string | null;
  /** Seconds from the fault until delivery latency was back to normal; null without a fault or data. */
  recoveryS: number | null;
  error?: string;
}

/** The fault every cell gets with `--fault kill-node`: node 1 dies 10 s into publishing, back 10 s later. */
export const KILL_NODE_FAULTS = [
  { at: '10s', action: 'kill-centrifugo-node', node: 1 },
  { at: '20s', action: 'start-centrifugo-node', node: 1 },
];

/**
 * `--fault restart-connect` (cdc modes): Kafka Connect crashes (SIGKILL) 10 s into publishing and is started
 * again at once. What GrandChat users ask: Debezium re-sends whatever it had not saved an offset for
 * (duplicates in Kafka, dropped by idempotency keys); rows committed meanwhile wait in the replication slot.
 */
export const RESTART_CONNECT_FAULTS = [{ at: '10s', action: 'restart-service', service: 'kafka-connect', kill: true }];

/** The faults `compare --fault` knows: what each does to every cell, and how the table's title says it. */
export const COMPARE_FAULTS = {
  'kill-node': {
    title: 'Centrifugo node 1 killed 10 s into publishing, back 10 s later',
    nodes: 2,
    steps: KILL_NODE_FAULTS,
  },
  'restart-connect': {
    title: 'Kafka Connect killed 10 s into publishing and restarted at once',
    nodes: undefined,
    steps: RESTART_CONNECT_FAULTS,
  },
} as const;
export type CompareFault = keyof typeof COMPARE_FAULTS;

export function isCompareFault(name: string): name is CompareFault {
  return Object.hasOwn(COMPARE_FAULTS, name);
}

export function planCells(modes: string[], roomSizes: number[], engines: string[]): CellLabels[] {
  return engines.flatMap((engine) =>
    roomSizes.flatMap((roomSize) => modes.map((mode) => ({ mode, roomSize, engine }))),
  );
}

/** `--set` overrides that make the base scenario this cell. */
export function cellOverrides(cell: CellLabels, options: { fault?: CompareFault; users: number }): string[] {
  const overrides = [
    `stack.chatApp.mode=${cell.mode}`,
    `stack.engine=${cell.engine}`,
    `dataset.users=${Math.max(options.users, cell.roomSize)}`,
    `dataset.rooms=${JSON.stringify([{ name: 'room', members: cell.roomSize }])}`,
  ];
  if (options.fault) {
    const fault = COMPARE_FAULTS[options.fault];
    if (fault.nodes) overrides.push(`stack.nodes=${fault.nodes}`);
    overrides.push(`workload.faults=${JSON.stringify(fault.steps)}`);
  }
  return overrides;
}

/**
 * Recovery after the first fault, in seconds (per-second resolution): until the first second whose
 * deliveries keep up again — at least 90 % of what that second's publications owe — with p99 back under
 * twice the median per-second p99 before the fault. A mode that loses messages
 * during the outage (`api`) recovers when the node is back; one that buffers (`outbox`) when its backlog
 * is delivered. null without a fault, or when delivery never recovered within the run.
 */
export function recoverySeconds(points: TimeseriesPoint[], summary: RunSummary): number | null {
  const fault = summary.timeline.find((e) => e.kind === 'fault');
  if (!fault) return null;
  const published = (p: TimeseriesPoint | undefined) => p?.counters.messages_published ?? 0;
  const delivered = (p: TimeseriesPoint | undefined) => p?.counters.messages_delivered ?? 0;
  const p99 = (p: TimeseriesPoint) => p.trends.delivery_latency?.p99;
  const totalPublished = count(summary.metrics, 'messages_published') ?? 0;
  const owedPerMessage = totalPublished > 0 ? (count(summary.metrics, 'messages_expected') ?? 0) / totalPublished : 0;
  const before = points
    .filter((p) => p.t < fault.at && delivered(p) > 0)
    .map(p99)
    .filter((v): v is number => v !== undefined)
    .sort((a, b) => a - b);
  if (before.length === 0 || owedPerMessage === 0) return null;
  const normal = 2 * before[Math.floor(before.length / 2)]!;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    // Point t covers the second that ends at t: the second of the fault itself still has earlier deliveries.
    if (p.t <= fault.at || published(p) === 0) continue;
    const keepsUp = delivered(p) >= 0.9 * published(p) * owedPerMessage;
    if (keepsUp && (p99(p) ?? Number.POSITIVE_INFINITY) <= normal) return Math.max(0, p.t - Math.floor(fault.at));
  }
  return null;
}

function trend(metrics: Record<string, MetricSummary>, name: string): TrendValues | null {
  const m = metrics[name];
  return m?.type === 'trend' && m.count > 0 ? m : null;
}

function count(metrics: Record<string, MetricSummary>, name: string): number | null {
  const m = metrics[name];
  return m?.type === 'counter' ? m.count : null;
}

const pair = (t: TrendValues | null) => (t ? `${formatMs(t.med)} / ${formatMs(t.p99)}` : NO_DATA);

export interface TableRow {
  engine: string;
  room: string;
  mode: string;
  creation: string;
  broadcast: string;
  delivery: string;
  loss: string;
  recovery: string;
  note: string;
}

export function tableRows(results: CellResult[], withRecovery: boolean): TableRow[] {
  return results.map((r) => {
    const m = r.summary?.metrics ?? {};
    const lost = count(m, 'messages_lost');
    const expected = count(m, 'messages_expected');
    const note =
      r.error ??
      ((r.summary?.aborted ? `aborted (${r.summary.aborted.by}): ${r.summary.aborted.reason}` : '') ||
        (r.summary && !r.summary.valid ? `invalid: ${r.summary.invalidReasons.join('; ')}` : ''));
    return {
      engine: r.labels.engine,
      room: formatCount(r.labels.roomSize),
      mode: r.labels.mode,
      creation: pair(trend(m, 'creation_duration')),
      broadcast: pair(trend(m, 'broadcast_duration')),
      delivery: pair(trend(m, 'delivery_latency')),
      loss: lost === null || expected === null ? NO_DATA : `${formatCount(lost)} / ${formatCount(expected)}`,
      recovery: withRecovery ? formatSeconds(r.recoveryS) : '',
      note,
    };
  });
}

const HEADERS: Record<keyof TableRow, string> = {
  engine: 'engine',
  room: 'room',
  mode: 'mode',
  creation: 'creation med / p99',
  broadcast: 'broadcast med / p99',
  delivery: 'delivery med / p99',
  loss: 'lost / expected',
  recovery: 'recovery',
  note: 'note',
};

function columns(rows: TableRow[], withRecovery: boolean): (keyof TableRow)[] {
  const keys = Object.keys(HEADERS) as (keyof TableRow)[];
  return keys.filter((k) => (k !== 'recovery' || withRecovery) && (k !== 'note' || rows.some((r) => r.note)));
}

export function renderTextTable(rows: TableRow[], withRecovery: boolean): string {
  const keys = columns(rows, withRecovery);
  const width = (k: keyof TableRow) => Math.max(HEADERS[k].length, ...rows.map((r) => r[k].length));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width(keys[i]!))).join('  ');
  return [
    line(keys.map((k) => HEADERS[k])),
    line(keys.map((k) => '-'.repeat(width(k)))),
    ...rows.map((r) => line(keys.map((k) => r[k]))),
  ].join('\n');
}

export function renderMarkdownTable(rows: TableRow[], withRecovery: boolean): string {
  const keys = columns(rows, withRecovery);
  const escapePipes = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${keys.map((k) => HEADERS[k]).join(' | ')} |`,
    `|${keys.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${keys.map((k) => escapePipes(r[k])).join(' | ')} |`),
  ].join('\n');
}
