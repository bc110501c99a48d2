/**
 * The run report page: tables rendered here as static HTML (readable and printable with scripts off),
 * charts drawn in the browser by the inlined uPlot from the embedded JSON. Everything the page needs is
 * in the one file.
 */
import {
  formatBytes,
  formatCount,
  formatMetricValue,
  formatMs,
  formatNumber,
  formatOffset,
  formatPercent,
  formatPerSecond,
  formatRunLength,
  formatSeconds,
  NO_DATA,
} from '../../common/format.ts';
import { isMetricName, METRICS } from '../../common/metrics-catalogue.ts';
import type { MetricSummary, RunInfo, RunSummary, ThresholdResult, TrendValues } from '../../common/summary-types.ts';
import { embedJson, html, ownAsset, raw, type SafeHtml, uplotAssets } from './html.ts';
import type { RunDirContents } from './load-run-dir.ts';
import { type ChartPayload, MARKER_COLORS, verdictOf } from './prepare-run-report.ts';

export interface RunReportMeta {
  generatedAt: Date;
  harnessVersion?: string;
}

const TREND_COLUMNS: [keyof TrendValues, string][] = [
  ['avg', 'avg'],
  ['med', 'med'],
  ['p90', 'p90'],
  ['p95', 'p95'],
  ['p99', 'p99'],
  ['p999', 'p99.9'],
  ['max', 'max'],
];

/** Counters in the order a reader checks them: owed, got, lost, then the side effects. */
const DELIVERY_COUNTERS = [
  'messages_expected',
  'messages_delivered',
  'messages_lost',
  'messages_duplicated',
  'messages_reordered',
  'messages_recovered',
  'messages_published',
  'publish_errors',
  'dropped_iterations',
  'reconnects',
  'errors',
];

function describe(metric: string): SafeHtml {
  const description = isMetricName(metric) ? METRICS[metric].description : '';
  return html`<code>${metric}</code>${description ? html`<div class="note">${description}</div>` : ''}`;
}

function trendOf(summary: RunSummary, metric: string): (TrendValues & { type: 'trend' }) | null {
  const m = summary.metrics[metric];
  return m?.type === 'trend' ? m : null;
}

function counterOf(summary: RunSummary, metric: string): Extract<MetricSummary, { type: 'counter' }> | null {
  const m = summary.metrics[metric];
  return m?.type === 'counter' ? m : null;
}

function runFacts(run: RunInfo | null): SafeHtml {
  if (!run) {
    return html`<dt>Run facts</dt><dd class="warn">run.json is missing: stack, versions, host and git commit unknown</dd>`;
  }
  const versions = Object.entries(run.versions).map(([k, v]) => `${k} ${v}`);
  const commit = run.git.commit
    ? `${run.git.commit}${run.git.dirty ? ' (uncommitted changes)' : ''}`
    : 'unknown (not a git checkout)';
  const h = run.host;
  return html`<dt>Stack</dt><dd>${run.stack.provider} provider, ${run.stack.engine} engine, ${run.stack.nodes} Centrifugo node${run.stack.nodes === 1 ? '' : 's'}</dd>
    <dt>Versions</dt><dd>${versions.length ? versions.join(' · ') : NO_DATA}</dd>
    <dt>Host</dt><dd>${h.hostname}: ${h.platform}/${h.arch}, ${h.cpus} × ${h.cpuModel}, ${formatBytes(h.memoryBytes)} RAM</dd>
    <dt>Node.js</dt><dd>${run.node}; harness ${run.harnessVersion}</dd>
    <dt>Git commit</dt><dd><code>${commit}</code></dd>`;
}

function scenarioName(contents: RunDirContents): string {
  return contents.run?.scenario.name ?? contents.summary.scenario;
}

function header(contents: RunDirContents): SafeHtml {
  const { run, summary } = contents;
  const verdict = verdictOf(summary);
  return html`<header>
  <h1>${scenarioName(contents)}</h1>
  ${run ? html`<p class="sub">${run.scenario.description ?? ''} <code>${run.scenario.file}</code></p>` : ''}
  <div class="badges">
    <span class="badge ${verdict.tone}" id="verdict">${verdict.label}</span>
    <span class="badge ${summary.valid ? 'ok' : 'bad'}" id="validity">${summary.valid ? 'VALID' : 'INVALID'}</span>
  </div>
  ${
    summary.valid
      ? ''
      : html`<p class="bad"><strong>The load generator could not be trusted during this run; its numbers are not a measurement of the system.</strong></p>
  <ul class="reasons" id="invalid-reasons">${summary.invalidReasons.map((r) => html`<li>${r}</li>`)}</ul>`
  }
  <dl class="facts">
    <dt>Run id</dt><dd><code>${summary.runId}</code></dd>
    <dt>Started</dt><dd>${summary.startedAt}</dd>
    <dt>Ended</dt><dd>${summary.endedAt} (${formatRunLength(summary.durationS)})</dd>
    ${runFacts(run)}
  </dl>
</header>`;
}

/**
 * The aggregate a threshold compared, in its metric's unit. k6 expressions name the aggregate first
 * (`p(99)<250`, `rate<0.01`, `count==0`), which decides the unit for counters (`rate` = per second).
 */
function thresholdValue(t: ThresholdResult): string {
  const aggregate = t.expression.trim().split(/[<>=!\s(]/, 1)[0] ?? '';
  return formatMetricValue(t.metric, aggregate, t.value);
}

function thresholdTable(summary: RunSummary): SafeHtml {
  if (summary.thresholds.length === 0) return html`<h2>Thresholds</h2><p class="note">This run had no thresholds.</p>`;
  return html`<h2>Thresholds</h2>
<table id="thresholds">
  <thead><tr><th>metric</th><th>threshold</th><th class="num">value</th><th>result</th><th>abort on fail</th></tr></thead>
  <tbody>${summary.thresholds.map(
    (t) => html`<tr class="${t.ok ? '' : 'failed'}">
    <td><code>${t.metric}</code></td><td><code>${t.expression}</code></td>
    <td class="num">${thresholdValue(t)}</td>
    <td class="${t.ok ? 'ok' : 'bad'}">${t.ok ? '✓ pass' : '✗ FAIL'}</td><td>${t.abortOnFail ? 'yes' : 'no'}</td></tr>`,
  )}</tbody>
</table>`;
}

function latencyTable(summary: RunSummary): SafeHtml {
  const names = Object.keys(summary.metrics).filter((m) => summary.metrics[m]?.type === 'trend');
  names.sort((a, b) => (a === 'delivery_latency' ? -1 : b === 'delivery_latency' ? 1 : a.localeCompare(b)));
  if (names.length === 0) return html`<p class="note">No latency was recorded.</p>`;
  return html`<table id="latency">
  <thead><tr><th>latency</th><th class="num">count</th>${TREND_COLUMNS.map(([, label]) => html`<th class="num">${label}</th>`)}</tr></thead>
  <tbody>${names.map((name) => {
    const t = trendOf(summary, name)!;
    return html`<tr><td>${describe(name)}</td><td class="num">${formatCount(t.count)}</td>${TREND_COLUMNS.map(
      ([key]) => html`<td class="num">${formatMs(t[key])}</td>`,
    )}</tr>`;
  })}</tbody>
</table>${
    summary.clock
      ? html`<p class="note" id="clock-uncertainty">Merged from ${summary.clock.shards} shards: latencies across their clocks are exact to ± ${formatMs(summary.clock.uncertaintyMs)} (the worst clock estimate of any shard or push sink; bound ${formatMs(summary.clock.boundMs)}).</p>`
      : ''
  }`;
}

function countersTable(summary: RunSummary): SafeHtml {
  const expected = counterOf(summary, 'messages_expected')?.count ?? null;
  const known = DELIVERY_COUNTERS.filter((m) => counterOf(summary, m));
  const others = Object.keys(summary.metrics)
    .filter((m) => summary.metrics[m]?.type === 'counter' && !known.includes(m) && !m.startsWith('push'))
    .sort();
  const rows = [...known, ...others];
  if (rows.length === 0) return html``;
  return html`<table id="counters">
  <thead><tr><th>counter</th><th class="num">total</th><th class="num">rate</th><th class="num">of expected</th></tr></thead>
  <tbody>${rows.map((name) => {
    const c = counterOf(summary, name)!;
    const share = expected && name.startsWith('messages_') && name !== 'messages_expected' ? c.count / expected : null;
    const alarming = (name === 'messages_lost' || name === 'messages_duplicated') && c.count > 0;
    return html`<tr class="${alarming ? 'failed' : ''}"><td>${describe(name)}</td><td class="num">${formatCount(c.count)}</td>
    <td class="num">${formatPerSecond(c.rate)}</td><td class="num">${share === null ? '' : formatPercent(share)}</td></tr>`;
  })}</tbody>
</table>`;
}

function gaugesTable(summary: RunSummary): SafeHtml {
  const names = Object.keys(summary.metrics)
    .filter((m) => summary.metrics[m]?.type === 'gauge' || summary.metrics[m]?.type === 'rate')
    .sort();
  if (names.length === 0) return html``;
  return html`<table id="gauges">
  <thead><tr><th>gauge / rate</th><th class="num">last</th><th class="num">min</th><th class="num">max</th></tr></thead>
  <tbody>${names.map((name) => {
    const m = summary.metrics[name]!;
    if (m.type === 'rate') {
      return html`<tr><td>${describe(name)}</td><td class="num">${formatPercent(m.rate)}</td>
      <td class="num" colspan="2">${formatCount(m.passes)} passes, ${formatCount(m.fails)} fails</td></tr>`;
    }
    if (m.type !== 'gauge') return html``;
    return html`<tr><td>${describe(name)}</td><td class="num">${formatNumber(m.value)}</td>
    <td class="num">${formatNumber(m.min)}</td><td class="num">${formatNumber(m.max)}</td></tr>`;
  })}</tbody>
</table>`;
}

function errorsTable(summary: RunSummary): SafeHtml {
  const entries = Object.entries(summary.errorsByCode).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return html`<h3>Errors by code</h3><p class="note" id="errors-by-code">No errors.</p>`;
  return html`<h3>Errors by code</h3>
<table id="errors-by-code">
  <thead><tr><th>code</th><th class="num">count</th></tr></thead>
  <tbody>${entries.map(([code, n]) => html`<tr><td><code>${code}</code></td><td class="num">${formatCount(n)}</td></tr>`)}</tbody>
</table>`;
}

function generatorTable(summary: RunSummary): SafeHtml {
  const g = summary.generator;
  return html`<h3>Load generator</h3>
<table id="generator">
  <tbody>
    <tr><td>workers</td><td class="num">${formatCount(g.workers)}</td></tr>
    <tr><td>CPU time</td><td class="num">${formatSeconds(g.cpuSeconds)}</td></tr>
    <tr><td>peak memory (RSS)</td><td class="num">${formatBytes(g.peakRssBytes)}</td></tr>
    <tr><td>worst event-loop delay p99</td><td class="num">${formatMs(g.maxEventLoopDelayP99Ms)}</td></tr>
  </tbody>
</table>`;
}

function pushLedgerTable(summary: RunSummary): SafeHtml {
  const ledger = summary.push_ledger;
  if (!ledger) return html``;
  const failed = Object.entries(ledger.failed).sort((a, b) => b[1] - a[1]);
  const failedTotal = failed.reduce((sum, [, n]) => sum + n, 0);
  const balanced = ledger.enqueued === ledger.delivered + failedTotal + ledger.queued + ledger.unaccounted;
  const share = (n: number) => (ledger.enqueued > 0 ? formatPercent(n / ledger.enqueued) : '');
  return html`<h3>Push ledger</h3>
<p class="note">Every enqueued push is accounted for: enqueued = delivered + failed + still queued + unaccounted (must be 0).</p>
<table id="push-ledger">
  <thead><tr><th></th><th class="num">pushes</th><th class="num">of enqueued</th></tr></thead>
  <tbody>
    <tr><td>enqueued</td><td class="num">${formatCount(ledger.enqueued)}</td><td></td></tr>
    <tr><td>delivered</td><td class="num">${formatCount(ledger.delivered)}</td><td class="num">${share(ledger.delivered)}</td></tr>
    ${failed.map(
      ([reason, n]) =>
        html`<tr><td>failed: <code>${reason}</code></td><td class="num">${formatCount(n)}</td><td class="num">${share(n)}</td></tr>`,
    )}
    <tr><td>still queued</td><td class="num">${formatCount(ledger.queued)}</td><td class="num">${share(ledger.queued)}</td></tr>
    <tr class="${ledger.unaccounted === 0 ? '' : 'failed'}"><td>unaccounted</td><td class="num">${formatCount(ledger.unaccounted)}</td><td class="num">${share(ledger.unaccounted)}</td></tr>
  </tbody>
</table>
${balanced ? '' : html`<p class="bad">The ledger does not add up: the push results are incomplete.</p>`}`;
}

function timelineTable(contents: RunDirContents): SafeHtml {
  if (contents.timeline.length === 0) return html`<h2>Timeline</h2><p class="note">No phases or faults recorded.</p>`;
  return html`<h2>Timeline</h2>
<table id="timeline">
  <thead><tr><th class="num">#</th><th class="num">at</th><th>kind</th><th>event</th><th>detail</th></tr></thead>
  <tbody>${contents.timeline.map(
    (e, i) => html`<tr><td class="num">${i + 1}</td><td class="num">${formatOffset(e.at)}</td>
    <td><span class="swatch ${e.kind}" style="color:${MARKER_COLORS[e.kind]}"></span>${e.kind}</td><td>${e.name}</td><td>${e.detail ?? ''}</td></tr>`,
  )}</tbody>
</table>`;
}

function chartBlock(payload: ChartPayload, ids: string[]): SafeHtml {
  return html`${payload.charts
    .filter((c) => ids.includes(c.id))
    .map((c) => html`<div class="chart" data-chart="${c.id}"><h3>${c.title}</h3><div class="plot"></div></div>`)}`;
}

function chartsNote(payload: ChartPayload): SafeHtml {
  const markers = html`<p class="note legend-markers">Markers (numbered as in the timeline):
    ${(['fault', 'phase', 'note'] as const).map(
      (k) => html`<span><span class="swatch ${k}" style="color:${MARKER_COLORS[k]}"></span>${k}</span>`,
    )} Drag across a chart to zoom, double-click to reset.</p>`;
  if (payload.bucketSeconds <= 1) return markers;
  return html`${markers}<p class="note" id="downsampling">Downsampled for drawing: ${formatCount(payload.pointsIn)} per-second points
  are drawn as ${formatCount(payload.rowsOut)} (buckets of ${payload.bucketSeconds} s; each bucket keeps its minimum and
  maximum, so spikes and dips stay visible). The tables above use the whole run.</p>`;
}

export function runReportHtml(contents: RunDirContents, payload: ChartPayload, meta: RunReportMeta): string {
  const { summary } = contents;
  const uplot = uplotAssets();
  const deliveryIds = ['delivery-latency', 'throughput', 'connections', 'loss', 'generator'];
  const pushIds = ['push-rates', 'push-queue', 'push-latency'];
  const hasCharts = payload.x.length > 0;
  const hasPush = payload.charts.some((c) => pushIds.includes(c.id)) || Boolean(summary.push_ledger);
  const title = `${scenarioName(contents)} — ${summary.runId} — centrifugo-bench`;

  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${raw(uplot.css)}</style>
<style>${raw(ownAsset('report.css'))}</style>
</head>
<body>
${header(contents)}
${thresholdTable(summary)}
<h2>Key metrics</h2>
${latencyTable(summary)}
${countersTable(summary)}
${gaugesTable(summary)}
<div class="grid2"><div>${errorsTable(summary)}</div><div>${generatorTable(summary)}</div></div>
<h2>Over time</h2>
${
  hasCharts
    ? html`${chartsNote(payload)}${chartBlock(payload, deliveryIds)}`
    : html`<p class="note" id="no-timeseries">This run has no time series (${contents.missing.includes('timeseries.ndjson') ? 'no timeseries.ndjson' : 'timeseries.ndjson is empty'}); only the totals above.</p>`
}
${
  hasPush ? html`<h2>Push pipeline</h2>${pushLedgerTable(summary)}${hasCharts ? chartBlock(payload, pushIds) : ''}` : ''
}
${timelineTable(contents)}
<footer>Generated ${meta.generatedAt.toISOString()} by centrifugo-bench${meta.harnessVersion ? ` ${meta.harnessVersion}` : ''}.
Charts: uPlot ${uplot.version} (MIT), inlined; this file loads nothing from the network.</footer>
${
  hasCharts
    ? html`<script type="application/json" id="report-data">${embedJson(payload)}</script>
<script>${raw(uplot.script)}</script>
<script>${raw(ownAsset('report-page.js'))}</script>`
    : ''
}
</body>
</html>
`;
  return page.value;
}
