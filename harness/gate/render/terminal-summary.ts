/**
 * The end-of-run summary printed to the terminal, shaped like k6's: thresholds first (✓/✗ with the
 * measured value), then the metrics grouped (delivery, push), then errors, push ledger, generator cost,
 * and the report path (a comparison of runs has its own rendering: comparison-summary.ts); the verdict is the last line. Validity comes first of all
 * when the run is invalid. Plain text (colour only when asked), so it reads the same in a CI log.
 */
import {
  formatBytes,
  formatCount,
  formatMs,
  formatNumber,
  formatPercent,
  formatPerSecond,
  formatRunLength,
  formatSeconds,
} from '../../common/format.ts';
import type { MetricSummary, RunSummary } from '../../common/summary-types.ts';
import { decideVerdict, type Verdict } from '../verdict.ts';
import { formatThresholdValue } from './measured-values.ts';
import { metricGroup, metricOrder } from './metric-order.ts';

export interface TerminalSummaryOptions {
  /** The verdict the process returns; decided from the summary when not given. */
  verdict?: Verdict;
  /** Path of report.html, printed as its own line. */
  reportPath?: string | null;
  /** ANSI colours (pass `process.stdout.isTTY && !process.env.NO_COLOR`). */
  color?: boolean;
}

const ANSI = { red: 31, green: 32, yellow: 33, bold: 1, dim: 2 } as const;
type Style = keyof typeof ANSI;

const KIND_ORDER: Record<MetricSummary['type'], number> = { trend: 0, counter: 1, rate: 2, gauge: 3 };

function metricLine(summary: MetricSummary): string {
  switch (summary.type) {
    case 'trend':
      if (summary.count === 0) return 'no samples';
      return [
        `avg=${formatMs(summary.avg)}`,
        `min=${formatMs(summary.min)}`,
        `med=${formatMs(summary.med)}`,
        `max=${formatMs(summary.max)}`,
        `p(90)=${formatMs(summary.p90)}`,
        `p(95)=${formatMs(summary.p95)}`,
        `p(99)=${formatMs(summary.p99)}`,
        `count=${formatCount(summary.count)}`,
      ].join(' ');
    case 'counter':
      return `${formatCount(summary.count).padEnd(10)} ${formatPerSecond(summary.rate)}`;
    case 'gauge':
      return `${formatNumber(summary.value).padEnd(10)} min=${formatNumber(summary.min)} max=${formatNumber(summary.max)}`;
    case 'rate':
      return `${formatPercent(summary.rate)}  ✓ ${formatCount(summary.passes)}  ✗ ${formatCount(summary.fails)}`;
  }
}

/** Beside the latencies of a run merged from shards: how exact they are across the shards' clocks. */
export function clockLine(clock: NonNullable<RunSummary['clock']>): string {
  return `latency across ${clock.shards} shards' clocks: ± ${formatMs(clock.uncertaintyMs)} (bound ${formatMs(clock.boundMs)})`;
}

function dotted(name: string, width: number): string {
  return `${name}${'.'.repeat(Math.max(2, width + 2 - name.length))}:`;
}

export function renderTerminalSummary(summary: RunSummary, options: TerminalSummaryOptions = {}): string {
  const paint = (style: Style, text: string) => (options.color ? `\u001b[${ANSI[style]}m${text}\u001b[0m` : text);
  const verdict = options.verdict ?? decideVerdict(summary);
  const out: string[] = [''];
  const section = (title: string) => out.push('', `  ${paint('bold', `█ ${title}`)}`, '');

  out.push(
    `  ${paint('bold', 'centrifugo-bench')}  scenario ${summary.scenario}  run ${summary.runId}  ${formatRunLength(summary.durationS)}  started ${summary.startedAt}`,
  );
  if (!summary.valid) {
    out.push('', `  ${paint('red', paint('bold', '✗ INVALID RUN — the numbers below cannot be trusted'))}`);
    for (const reason of summary.invalidReasons) out.push(`      · ${reason}`);
  }
  if (summary.aborted) {
    out.push('', `  ${paint('yellow', `⚠ ABORTED by ${summary.aborted.by}: ${summary.aborted.reason}`)}`);
  }

  if (summary.thresholds.length) {
    section('THRESHOLDS');
    let previous = '';
    for (const result of summary.thresholds) {
      if (result.metric !== previous) out.push(`    ${result.metric}`);
      previous = result.metric;
      const mark = result.ok ? paint('green', '✓') : paint('red', '✗');
      out.push(`    ${mark} '${result.expression}' ${formatThresholdValue(result)}`);
    }
  }

  const names = metricOrder(Object.keys(summary.metrics));
  const width = Math.max(0, ...names.map((n) => n.length));
  for (const group of ['DELIVERY', 'PUSH', 'OTHER'] as const) {
    const members = names
      .filter((name) => metricGroup(name) === group)
      .sort((a, b) => KIND_ORDER[summary.metrics[a]!.type] - KIND_ORDER[summary.metrics[b]!.type]);
    if (!members.length) continue;
    section(group);
    for (const name of members) out.push(`    ${dotted(name, width)} ${metricLine(summary.metrics[name]!)}`);
    if (summary.clock && group !== 'OTHER' && members.some((name) => summary.metrics[name]!.type === 'trend')) {
      out.push(`    ${clockLine(summary.clock)}`);
    }
  }

  const errors = Object.entries(summary.errorsByCode).sort(([, a], [, b]) => b - a);
  if (errors.length) {
    section('ERRORS');
    const codeWidth = Math.max(...errors.map(([code]) => code.length));
    for (const [code, count] of errors) out.push(`    ${dotted(code, codeWidth)} ${formatCount(count)}`);
  }

  if (summary.push_ledger) {
    const ledger = summary.push_ledger;
    const failed = Object.values(ledger.failed).reduce((a, b) => a + b, 0);
    const balanced =
      ledger.unaccounted === 0
        ? paint('green', '✓ balanced')
        : paint('red', `✗ ${formatCount(ledger.unaccounted)} unaccounted`);
    section('PUSH LEDGER');
    out.push(
      `    enqueued=${formatCount(ledger.enqueued)} delivered=${formatCount(ledger.delivered)} failed=${formatCount(failed)} queued=${formatCount(ledger.queued)} unaccounted=${formatCount(ledger.unaccounted)}  ${balanced}`,
    );
    const reasons = Object.entries(ledger.failed);
    if (reasons.length)
      out.push(`    failed by reason: ${reasons.map(([r, n]) => `${r}=${formatCount(n)}`).join(' ')}`);
  }

  const g = summary.generator;
  section('LOAD GENERATOR');
  out.push(
    `    workers=${formatCount(g.workers)} cpu=${formatSeconds(g.cpuSeconds)} peak rss=${formatBytes(g.peakRssBytes)} event-loop delay p99 (worst second)=${formatMs(g.maxEventLoopDelayP99Ms)}`,
  );
  const sut = Object.entries(summary.sut?.cpuSeconds ?? {}).filter(([, s]) => s > 0);
  if (sut.length) {
    // The generator's cost beside the system's: a load generator should be far cheaper than what it loads.
    out.push(`    system under test cpu: ${sut.map(([service, s]) => `${service}=${formatSeconds(s)}`).join(' ')}`);
  }

  out.push('');
  if (options.reportPath) out.push(`  report: ${options.reportPath}`);
  const style: Style = verdict.status === 'passed' ? 'green' : 'red';
  const mark = verdict.status === 'passed' ? '✓' : '✗';
  out.push(`  ${paint(style, paint('bold', `${mark} ${verdict.headline}`))}  (exit ${verdict.exitCode})`, '');
  return out.join('\n');
}
