/**
 * One self-contained page comparing runs of a matrix (broadcast modes × room sizes × engines), like
 * the table in GrandChat's "Scale" chapter but measured: median and p99 of creation / broadcast /
 * delivery latency and loss per cell, plus a grouped bar chart of delivery latency. Static HTML and
 * SVG only: no script, nothing fetched, prints as it looks.
 */
import { formatCount, formatMs, formatPercent, NO_DATA } from '../../common/format.ts';
import type { MetricSummary, TrendValues } from '../../common/summary-types.ts';
import { type BarGroup, groupedBarChart } from './grouped-bar-chart.ts';
import { html, ownAsset, raw, type SafeHtml } from './html.ts';

export interface ComparisonCellLabels {
  /** Broadcast mode: `api`, `outbox`, `cdc`, `api_outbox`, … */
  mode: string;
  /** Members per room (fan-out per message). */
  roomSize: number;
  /** Centrifugo engine/broker: `memory`, `redis`, `nats`. */
  engine: string;
}

/** The summary.json metrics a comparison reads; a cell may pass its whole `summary.metrics`. */
export type ComparisonMetricName =
  | 'delivery_latency'
  | 'creation_duration'
  | 'broadcast_duration'
  | 'messages_lost'
  | 'messages_expected';

export interface ComparisonCell {
  labels: ComparisonCellLabels;
  metrics: Partial<Record<ComparisonMetricName, MetricSummary>>;
  /** The run behind the cell, shown in the table. */
  runId?: string;
  /** false when the cell's run was invalid (generator saturated): its numbers are shown but flagged. */
  valid?: boolean;
  invalidReasons?: string[];
}

export interface ComparisonMatrix {
  title?: string;
  description?: string;
  cells: ComparisonCell[];
}

export interface RenderComparisonOptions {
  generatedAt?: Date;
}

const LATENCIES = [
  ['creation_duration', 'creation'],
  ['broadcast_duration', 'broadcast'],
  ['delivery_latency', 'delivery'],
] as const;

function trendOf(cell: ComparisonCell, metric: ComparisonMetricName): TrendValues | null {
  const m = cell.metrics[metric];
  return m?.type === 'trend' && m.count > 0 ? m : null;
}

function countOf(cell: ComparisonCell, metric: ComparisonMetricName): number | null {
  const m = cell.metrics[metric];
  return m?.type === 'counter' ? m.count : null;
}

/** Lost ÷ expected deliveries, or null when the run did not count expected deliveries. */
export function lossRatio(cell: ComparisonCell): number | null {
  const lost = countOf(cell, 'messages_lost');
  const expected = countOf(cell, 'messages_expected');
  if (expected === null || expected === 0) return null;
  return (lost ?? 0) / expected;
}

/** Cells ordered engine → room size → mode (modes keep the order they first appear in). */
export function sortCells(cells: ComparisonCell[]): ComparisonCell[] {
  const modeOrder = [...new Set(cells.map((c) => c.labels.mode))];
  return [...cells].sort(
    (a, b) =>
      a.labels.engine.localeCompare(b.labels.engine) ||
      a.labels.roomSize - b.labels.roomSize ||
      modeOrder.indexOf(a.labels.mode) - modeOrder.indexOf(b.labels.mode),
  );
}

const groupKey = (c: ComparisonCell) => `${c.labels.engine}\u0000${c.labels.roomSize}`;

/**
 * Per row, whether its value is the lowest among the cells with the same engine and room size (the
 * modes being compared), and only when those values differ: a tie highlights nothing.
 */
export function bestInGroup(cells: ComparisonCell[], values: (number | null)[]): boolean[] {
  return cells.map((cell, row) => {
    const value = values[row];
    if (value === null || value === undefined) return false;
    const peers = cells.flatMap((c, i) => (groupKey(c) === groupKey(cell) ? [values[i]] : []));
    const present = peers.filter((v): v is number => v !== null && v !== undefined);
    return present.length > 1 && value === Math.min(...present) && value !== Math.max(...present);
  });
}

function table(cells: ComparisonCell[]): SafeHtml {
  const columns = LATENCIES.flatMap(([metric]) =>
    (['med', 'p99'] as const).map((key) => ({
      metric,
      key,
      values: cells.map((c) => trendOf(c, metric)?.[key] ?? null),
    })),
  );
  const lossValues = cells.map(lossRatio);
  const bests = columns.map((c) => bestInGroup(cells, c.values));
  const cell = (value: number | null, isBest: boolean) =>
    html`<td class="num${isBest ? ' best' : ''}">${formatMs(value)}</td>`;

  return html`<table id="comparison">
<thead>
  <tr><th rowspan="2">engine</th><th rowspan="2" class="num">room size</th><th rowspan="2">mode</th>
  ${LATENCIES.map(([, label]) => html`<th colspan="2" class="num group">${label} latency</th>`)}
  <th colspan="2" class="num group">loss</th><th rowspan="2">run</th></tr>
  <tr>${LATENCIES.map(() => html`<th class="num">median</th><th class="num">p99</th>`)}<th class="num">lost</th><th class="num">of expected</th></tr>
</thead>
<tbody>${cells.map((c, row) => {
    const lost = countOf(c, 'messages_lost');
    const loss = lossValues[row] ?? null;
    const invalid = c.valid === false;
    return html`<tr class="${invalid ? 'invalid' : ''}">
  <td>${c.labels.engine}</td><td class="num">${formatCount(c.labels.roomSize)}</td><td><code>${c.labels.mode}</code></td>
  ${columns.map((col, i) => cell(col.values[row] ?? null, bests[i]?.[row] ?? false))}
  <td class="num${lost ? ' lossy' : ''}">${lost === null ? NO_DATA : formatCount(lost)}</td>
  <td class="num${loss ? ' lossy' : ''}">${formatPercent(loss)}</td>
  <td>${c.runId ? html`<code>${c.runId}</code>` : ''}${invalid ? html` <span class="bad" title="${(c.invalidReasons ?? []).join('; ')}">INVALID</span>` : ''}</td>
</tr>`;
  })}</tbody>
</table>`;
}

function chart(cells: ComparisonCell[]): SafeHtml {
  const groups: BarGroup[] = [];
  for (const c of cells) {
    const label = `${c.labels.engine} · room ${formatCount(c.labels.roomSize)}`;
    let group = groups.find((g) => g.label === label);
    if (!group) {
      group = { label, bars: [] };
      groups.push(group);
    }
    const delivery = trendOf(c, 'delivery_latency');
    group.bars.push({
      series: c.labels.mode,
      value: delivery?.p99 ?? null,
      inner: delivery?.med ?? null,
      flagged: (lossRatio(c) ?? 0) > 0 || c.valid === false,
    });
  }
  return groupedBarChart(groups, {
    id: 'comparison-chart',
    title: 'Delivery latency by engine and room size, one bar per broadcast mode',
    format: formatMs,
    valueLabel: 'p99',
    innerLabel: 'median',
  });
}

export function renderComparisonReport(matrix: ComparisonMatrix, options: RenderComparisonOptions = {}): string {
  const cells = sortCells(matrix.cells);
  const title = matrix.title ?? 'Broadcast mode comparison';
  const generatedAt = options.generatedAt ?? new Date();
  const anyInvalid = cells.some((c) => c.valid === false);
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — centrifugo-bench</title>
<style>${raw(ownAsset('report.css'))}</style>
<style>td.best{font-weight:700}td.lossy,tr.invalid td{color:var(--bad)}th.group{text-align:center;border-bottom:1px solid var(--line)}figure.bars{margin:16px 0;break-inside:avoid}figcaption{margin-bottom:6px}</style>
</head>
<body>
<header>
  <h1>${title}</h1>
  ${matrix.description ? html`<p class="sub">${matrix.description}</p>` : ''}
  <p class="sub">${formatCount(cells.length)} runs: ${[...new Set(cells.map((c) => c.labels.mode))].join(', ')} ×
  room sizes ${[...new Set(cells.map((c) => c.labels.roomSize))].map((n) => formatCount(n)).join(', ')} ×
  engines ${[...new Set(cells.map((c) => c.labels.engine))].join(', ')}.</p>
</header>
${
  cells.length === 0
    ? html`<p class="note" id="no-cells">No runs to compare.</p>`
    : html`<h2>Latency and loss per cell</h2>
<p class="note">Creation: the chat app's message transaction; broadcast: its call to Centrifugo; delivery: intended send
time → received by a subscriber. Bold: the lowest value among the modes of the same engine and room size. Loss: deliveries never received after the drain.</p>
${anyInvalid ? html`<p class="bad">Rows marked INVALID come from runs whose load generator saturated; do not compare their numbers.</p>` : ''}
${table(cells)}
<h2>Delivery latency</h2>
${chart(cells)}`
}
<footer>Generated ${generatedAt.toISOString()} by centrifugo-bench; static HTML and SVG, loads nothing from the network.</footer>
</body>
</html>
`;
  return page.value;
}
