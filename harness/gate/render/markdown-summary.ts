/**
 * `summary.md`: the run as a CI job summary or PR comment (GitHub-flavoured Markdown). Headline verdict,
 * invalid reasons as a warning, thresholds table, key metrics tables (a comparison of runs has its own: comparison-summary.ts).
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
  NO_DATA,
} from '../../common/format.ts';
import type { RunInfo, RunSummary } from '../../common/summary-types.ts';
import { decideVerdict, type Verdict, type VerdictStatus } from '../verdict.ts';
import { formatThresholdValue } from './measured-values.ts';
import { metricOrder } from './metric-order.ts';

export interface MarkdownSummaryOptions {
  /** The verdict the process returns; decided from the summary when not given. */
  verdict?: Verdict;
  /** run.json, for the commit and host line. */
  info?: RunInfo | null;
  /** Link or path to report.html. */
  reportPath?: string | null;
}

/** Text safe inside a table cell: no pipes, no line breaks, no raw HTML. */
export function escapeCell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ');
}

/** Inline code that survives backticks and pipes in the text. */
export function code(text: string): string {
  const clean = text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const fence = clean.includes('`') ? '``' : '`';
  return `${fence}${fence === '``' ? ` ${clean} ` : clean}${fence}`;
}

function table(header: string[], align: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${align.join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}

const ICONS: Record<VerdictStatus, string> = {
  passed: '✅',
  failed: '❌',
  inconclusive: '❔',
  invalid: '⚠️',
  stopped: '⏹️',
  error: '❌',
};

export function renderMarkdownSummary(summary: RunSummary, options: MarkdownSummaryOptions = {}): string {
  const verdict = options.verdict ?? decideVerdict(summary);
  const icon = ICONS[verdict.status];
  const out: string[] = [];
  const headline = verdict.status === 'invalid' ? 'INVALID RUN — its numbers cannot be trusted' : verdict.headline;
  out.push(`### ${icon} centrifugo-bench: ${escapeCell(headline)}`, '');

  const facts = [
    `scenario ${code(summary.scenario)}`,
    `run ${code(summary.runId)}`,
    formatRunLength(summary.durationS),
    `started ${summary.startedAt}`,
    `exit code ${verdict.exitCode}`,
  ];
  if (options.info?.git.commit) {
    facts.push(`commit ${code(options.info.git.commit.slice(0, 12))}${options.info.git.dirty ? ' (dirty)' : ''}`);
  }
  if (options.info) {
    const host = options.info.host;
    facts.push(`${escapeCell(host.cpuModel)} × ${host.cpus}, ${formatBytes(host.memoryBytes)}`);
  }
  out.push(facts.join(' · '), '');

  if (!summary.valid) {
    out.push(
      '> [!WARNING]',
      '> **Invalid run**: the load generator (or the measurement) failed; numbers below are not trustworthy.',
    );
    for (const reason of summary.invalidReasons) out.push(`> - ${escapeCell(reason)}`);
    out.push('');
  }
  if (summary.aborted) {
    out.push(
      `> [!CAUTION]`,
      `> Aborted by ${escapeCell(summary.aborted.by)}: ${escapeCell(summary.aborted.reason)}`,
      '',
    );
  }

  if (summary.thresholds.length) {
    out.push('#### Thresholds', '');
    out.push(
      ...table(
        ['', 'Metric', 'Threshold', 'Measured'],
        [':-:', '---', '---', '---'],
        summary.thresholds.map((t) => [
          t.ok ? '✅' : '❌',
          code(t.metric),
          `${code(t.expression)}${t.abortOnFail ? ' (abortOnFail)' : ''}`,
          escapeCell(formatThresholdValue(t)),
        ]),
      ),
      '',
    );
  }

  const names = metricOrder(Object.keys(summary.metrics));
  const trends = names.filter((n) => summary.metrics[n]?.type === 'trend');
  if (trends.length) {
    out.push('#### Latency', '');
    out.push(
      ...table(
        ['Metric', 'count', 'avg', 'med', 'p(95)', 'p(99)', 'p(99.9)', 'max'],
        ['---', '--:', '--:', '--:', '--:', '--:', '--:', '--:'],
        trends.map((name) => {
          const m = summary.metrics[name];
          if (m?.type !== 'trend') return [];
          if (m.count === 0) return [code(name), '0', NO_DATA, NO_DATA, NO_DATA, NO_DATA, NO_DATA, NO_DATA];
          return [code(name), formatCount(m.count), ...[m.avg, m.med, m.p95, m.p99, m.p999, m.max].map(formatMs)];
        }),
      ),
      '',
    );
  }
  const others = names.filter((n) => summary.metrics[n]?.type !== 'trend');
  if (others.length) {
    out.push('#### Counts', '');
    out.push(
      ...table(
        ['Metric', 'value', 'detail'],
        ['---', '--:', '---'],
        others.map((name) => {
          const m = summary.metrics[name];
          if (!m || m.type === 'trend') return [];
          if (m.type === 'counter') return [code(name), formatCount(m.count), formatPerSecond(m.rate)];
          if (m.type === 'gauge')
            return [code(name), formatNumber(m.value), `min ${formatNumber(m.min)}, max ${formatNumber(m.max)}`];
          return [code(name), formatPercent(m.rate), `${formatCount(m.passes)} passed, ${formatCount(m.fails)} failed`];
        }),
      ),
      '',
    );
  }

  const errors = Object.entries(summary.errorsByCode).sort(([, a], [, b]) => b - a);
  if (errors.length) {
    out.push(`**Errors**: ${errors.map(([c, n]) => `${code(c)} ${formatCount(n)}`).join(', ')}`, '');
  }
  if (summary.push_ledger) {
    const l = summary.push_ledger;
    const failed = Object.values(l.failed).reduce((a, b) => a + b, 0);
    out.push(
      `**Push ledger**: enqueued ${formatCount(l.enqueued)} = delivered ${formatCount(l.delivered)} + failed ${formatCount(failed)} + queued ${formatCount(l.queued)} + unaccounted ${formatCount(l.unaccounted)} ${l.unaccounted === 0 ? '✅' : '❌'}`,
      '',
    );
  }

  const g = summary.generator;
  out.push(
    `<sub>Load generator: ${formatCount(g.workers)} workers, ${formatSeconds(g.cpuSeconds)} of CPU, peak RSS ${formatBytes(g.peakRssBytes)}, worst event-loop delay p99 ${formatMs(g.maxEventLoopDelayP99Ms)}.${options.reportPath ? ` Report: ${escapeCell(options.reportPath)}` : ''}</sub>`,
    '',
  );
  return out.join('\n');
}
