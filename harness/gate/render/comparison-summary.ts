/**
 * A comparison of runs (compare-runs.ts) for people and for CI: the terminal table, Markdown for a job
 * summary or PR comment, and JUnit. Per metric: both sides' medians over their runs, the change with its
 * interval, the verdict and why. JUnit test names carry the metric only — never a run id — so a CI's test
 * history stays one series whichever baseline was used.
 */
import { formatCompact, formatMs, formatPercentChange } from '../../common/format.ts';
import type { MetricComparison, RunComparison } from '../compare-runs.ts';
import type { Verdict } from '../verdict.ts';
import { escapeXml } from './junit-report.ts';

const MARK: Record<MetricComparison['verdict'], string> = { pass: '✓', regression: '✗', inconclusive: '?' };

function value(m: MetricComparison, v: number | null): string {
  if (v === null) return '—';
  return m.unit === 'ms' ? formatMs(v) : `${formatCompact(v)}/s`;
}

function change(m: MetricComparison): string {
  if (!m.change) return 'n/a';
  const interval =
    m.change.low === null || m.change.high === null
      ? 'no interval'
      : `[${formatPercentChange(m.change.low)}, ${formatPercentChange(m.change.high)}]`;
  return `${formatPercentChange(m.change.estimate)} ${interval}`;
}

/** "paired: 8 pairs, interleaved" · "independent: 5 baseline runs, 5 candidate runs". */
export function describeDesign(comparison: RunComparison): string {
  const confidence = comparison.metrics[0]?.confidence;
  const level = confidence === undefined ? '' : `, ${(confidence * 100).toFixed(2)} % intervals`;
  const sides =
    comparison.design === 'paired'
      ? `paired: ${comparison.currentRuns.length} interleaved pairs`
      : `independent: ${comparison.baselineRuns.length} baseline runs, ${comparison.currentRuns.length} candidate runs`;
  return `${sides}; effect size ${(comparison.effect * 100).toFixed(1)} %, α ${comparison.alpha} over ${comparison.metrics.length} metrics${level}`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text + ' '.repeat(width - text.length);
}

export function renderComparisonTerminal(comparison: RunComparison, verdict: Verdict): string {
  const rows = comparison.metrics.map((m) => [
    m.id,
    value(m, m.baseline.median),
    value(m, m.current.median),
    change(m),
    `${MARK[m.verdict]} ${m.verdict}`,
  ]);
  const header = ['metric', 'baseline', 'candidate', 'change [interval]', 'verdict'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)) + 2);
  const line = (cells: string[]) =>
    `    ${cells
      .map((c, i) => pad(c, widths[i]!))
      .join('')
      .trimEnd()}`;
  const mark = verdict.status === 'passed' ? '✓' : verdict.status === 'inconclusive' ? '?' : '✗';
  return [
    '',
    `  █ COMPARISON  ${describeDesign(comparison)}`,
    '',
    line(header),
    ...rows.map(line),
    '',
    ...comparison.metrics.map((m) => `    ${m.id}: ${m.reason}`),
    '',
    `  ${mark} ${verdict.headline}  (exit ${verdict.exitCode})`,
    '',
  ].join('\n');
}

export function renderComparisonMarkdown(
  comparison: RunComparison,
  verdict: Verdict,
  options: { title?: string } = {},
): string {
  const icon = verdict.status === 'passed' ? '✅' : verdict.status === 'inconclusive' ? '❔' : '❌';
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    `### ${icon} ${options.title ?? 'centrifugo-bench'}: ${cell(verdict.headline)}`,
    '',
    `${describeDesign(comparison)}. Baseline runs: ${comparison.baselineRuns.join(', ')}. Candidate runs: ${comparison.currentRuns.join(', ')}.`,
    '',
    '| metric | baseline | candidate | change [interval] | verdict |',
    '|---|---:|---:|---|---|',
    ...comparison.metrics.map(
      (m) =>
        `| ${m.id} | ${value(m, m.baseline.median)} | ${value(m, m.current.median)} | ${cell(change(m))} | ${MARK[m.verdict]} ${m.verdict} |`,
    ),
    '',
    ...comparison.metrics.map((m) => `- **${m.id}**: ${cell(m.reason)}`),
    '',
    `Exit code ${verdict.exitCode}. Medians over runs; the interval is the Hodges–Lehmann change with its distribution-free confidence interval, Bonferroni-corrected over the metrics.`,
    '',
  ].join('\n');
}

export function renderComparisonJunit(comparison: RunComparison, verdict: Verdict, options: { suite: string }): string {
  const cases: string[] = [];
  const open = (classname: string, name: string) =>
    `    <testcase classname="${escapeXml(classname)}" name="${escapeXml(name)}" time="0"`;
  const invalid = verdict.status === 'invalid';
  cases.push(
    invalid
      ? `${open('runs', 'runs are valid')}>\n      <failure type="invalid-run" message="${escapeXml(verdict.headline)}"/>\n    </testcase>`
      : `${open('runs', 'runs are valid')}/>`,
  );
  for (const m of comparison.metrics) {
    const message = `${m.verdict}: ${m.reason}`;
    if (m.verdict === 'regression')
      cases.push(
        `${open('comparison', m.id)}>\n      <failure type="regression" message="${escapeXml(message)}"/>\n    </testcase>`,
      );
    else if (m.verdict === 'inconclusive')
      cases.push(`${open('comparison', m.id)}>\n      <skipped message="${escapeXml(message)}"/>\n    </testcase>`);
    else cases.push(`${open('comparison', m.id)}/>`);
  }
  const failures = cases.filter((c) => c.includes('<failure')).length;
  const skipped = cases.filter((c) => c.includes('<skipped')).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="centrifugo-bench" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}">`,
    `  <testsuite name="${escapeXml(options.suite)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}">`,
    '    <properties>',
    `      <property name="verdict" value="${escapeXml(verdict.status)}"/>`,
    `      <property name="baselineRuns" value="${escapeXml(comparison.baselineRuns.join(' '))}"/>`,
    `      <property name="candidateRuns" value="${escapeXml(comparison.currentRuns.join(' '))}"/>`,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
