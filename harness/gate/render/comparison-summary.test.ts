import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetricComparison, MetricVerdict, RunComparison } from '../compare-runs.ts';
import type { RunValues } from '../run-values.ts';
import { sampleRunValues as runValues } from '../testing.ts';
import { decideComparisonVerdict, type Verdict } from '../verdict.ts';
import {
  describeDesign,
  renderComparisonJunit,
  renderComparisonMarkdown,
  renderComparisonTerminal,
} from './comparison-summary.ts';
import { assertWellFormedXml } from './testing.ts';

interface MetricInput {
  id: string;
  verdict: MetricVerdict;
  medians: [number, number];
  change: [number, number | null, number | null] | null;
  reason: string;
}

function metricComparison(input: MetricInput, confidence: number): MetricComparison {
  const perSecond = input.id.endsWith('/s');
  return {
    id: input.id,
    metric: input.id.split(' ')[0]!,
    unit: perSecond ? '/s' : 'ms',
    better: perSecond ? 'higher' : 'lower',
    baseline: { values: [input.medians[0]], median: input.medians[0] },
    current: { values: [input.medians[1]], median: input.medians[1] },
    change: input.change && { estimate: input.change[0], low: input.change[1], high: input.change[2] },
    confidence,
    coverage: input.change?.[1] == null ? null : confidence + 0.001,
    verdict: input.verdict,
    reason: input.reason,
  };
}

function comparisonOf(
  inputs: MetricInput[],
  runs: { baseline: string[]; current: string[] },
  summary: string,
  design: RunComparison['design'] = 'paired',
): RunComparison {
  const confidence = 1 - 0.05 / inputs.length;
  const verdicts = inputs.map((m) => m.verdict);
  return {
    design,
    baselineRuns: runs.baseline,
    currentRuns: runs.current,
    alpha: 0.05,
    effect: 0.05,
    metrics: inputs.map((m) => metricComparison(m, confidence)),
    verdict: verdicts.includes('regression')
      ? 'regression'
      : verdicts.includes('inconclusive')
        ? 'inconclusive'
        : 'pass',
    summary,
  };
}

const ids = (prefix: string, k: number) => Array.from({ length: k }, (_, i) => `${prefix}-${i + 1}`);

/** The verdict the gate would return for this comparison, every run valid. */
function verdictOf(comparison: RunComparison, overrides: Partial<RunValues> = {}): Verdict {
  return decideComparisonVerdict(comparison, {
    baseline: comparison.baselineRuns.map((id) => runValues(id)),
    current: comparison.currentRuns.map((id) => runValues(id, overrides)),
  });
}

/** A regression on p50, p99 undecided, throughput fine — against baseline runs named `baselinePrefix`. */
function mixed(baselinePrefix = '20261201-000000-aaaa', k = 8): RunComparison {
  return comparisonOf(
    [
      {
        id: 'delivery_latency p50',
        verdict: 'regression',
        medians: [4, 4.8],
        change: [0.2, 0.18, 0.221],
        reason: '+20.0 % [+18.0 %, +22.1 %]: worse, by 5.0 % or more',
      },
      {
        id: 'delivery_latency p99',
        verdict: 'inconclusive',
        medians: [12, 12.5],
        change: [0.042, -0.08, 0.15],
        reason: `+4.2 % [-8.0 %, +15.0 %]: too wide to decide at 5.0 % (baseline ${baselinePrefix}-1 is the slowest)`,
      },
      {
        id: 'messages_delivered /s',
        verdict: 'pass',
        medians: [2000, 1990],
        change: [-0.005, -0.012, 0.003],
        reason: '-0.5 % [-1.2 %, +0.3 %]: any regression is below 5.0 %',
      },
    ],
    { baseline: ids(baselinePrefix, k), current: ids('20261204-000000-bbbb', k) },
    'regression: delivery_latency p50 +20.0 %',
  );
}

describe('comparison: terminal', () => {
  test('a table of metric, both medians, change with interval and verdict, columns aligned; reasons; verdict last', () => {
    const comparison = mixed();
    const text = renderComparisonTerminal(comparison, verdictOf(comparison));
    const lines = text.split('\n');
    assert.ok(
      lines.includes(
        '  █ COMPARISON  paired: 8 interleaved pairs; effect size 5.0 %, α 0.05 over 3 metrics, 98.33 % intervals',
      ),
    );
    const header = lines.findIndex((line) => line.startsWith('    metric '));
    assert.ok(header > 0, 'a header row');
    const rows = lines.slice(header, header + 4);
    assert.match(rows[0]!, /^ {4}metric +baseline +candidate +change \[interval\] +verdict$/);
    assert.match(
      rows[1]!,
      /^ {4}delivery_latency p50 +4 ms +4\.8 ms +\+20\.0 % \[\+18\.0 %, \+22\.1 %\] +✗ regression$/,
    );
    assert.match(
      rows[2]!,
      /^ {4}delivery_latency p99 +12 ms +12\.5 ms +\+4\.2 % \[−8\.0 %, \+15\.0 %\] +\? inconclusive$/,
    );
    assert.match(rows[3]!, /^ {4}messages_delivered \/s +2,000\/s +1,990\/s +−0\.5 % \[−1\.2 %, \+0\.3 %\] +✓ pass$/);
    // Every cell starts in its header's column.
    for (const [title, cells] of [
      ['baseline', ['4 ms', '12 ms', '2,000/s']],
      ['candidate', ['4.8 ms', '12.5 ms', '1,990/s']],
      ['verdict', ['✗ regression', '? inconclusive', '✓ pass']],
    ] as const) {
      const column = rows[0]!.indexOf(title);
      for (const [i, cell] of cells.entries()) {
        assert.equal(rows[i + 1]!.indexOf(cell, 20), column, `${cell} under ${title}`);
      }
    }
    assert.ok(lines.includes('    delivery_latency p50: +20.0 % [+18.0 %, +22.1 %]: worse, by 5.0 % or more'));
    assert.equal(lines.filter(Boolean).at(-1), '  ✗ FAILED — regression: delivery_latency p50 +20.0 %  (exit 99)');
  });

  test('no interval, no change, no median: each says so; inconclusive and passed verdict marks', () => {
    const comparison = comparisonOf(
      [
        {
          id: 'delivery_latency p50',
          verdict: 'inconclusive',
          medians: [4, 4],
          change: [0, null, null],
          reason: '3 pairs cannot reach 98.75 % confidence; it takes ≥ 8 pairs',
        },
      ],
      { baseline: ids('a', 3), current: ids('b', 3) },
      'inconclusive at 5.0 %: 1 of 1 metrics (delivery_latency p50)',
    );
    comparison.metrics.push({
      ...comparison.metrics[0]!,
      id: 'delivery_latency p99',
      current: { values: [], median: null },
      change: null,
      reason: 'candidate run b-2 measured no delivery_latency: nothing to judge there',
    });
    const text = renderComparisonTerminal(comparison, verdictOf(comparison));
    assert.match(text, /delivery_latency p50 +4 ms +4 ms +±0\.0 % no interval +\? inconclusive/);
    assert.match(text, /delivery_latency p99 +4 ms +— +n\/a +\? inconclusive/);
    assert.match(
      text,
      /\? INCONCLUSIVE — inconclusive at 5\.0 %: 1 of 1 metrics \(delivery_latency p50\) {2}\(exit 4\)\n*$/,
    );

    const passed = comparisonOf(
      [{ id: 'delivery_latency p50', verdict: 'pass', medians: [4, 4], change: [0, -0.01, 0.01], reason: 'ok' }],
      { baseline: ids('a', 5), current: ids('b', 6) },
      'no regression of 5.0 % or more in 1 metrics',
      'independent',
    );
    assert.equal(
      describeDesign(passed),
      'independent: 5 baseline runs, 6 candidate runs; effect size 5.0 %, α 0.05 over 1 metrics, 95.00 % intervals',
    );
    assert.match(renderComparisonTerminal(passed, verdictOf(passed)), /✓ PASSED — no regression .* {2}\(exit 0\)\n*$/);
  });
});

describe('comparison: Markdown', () => {
  test('headline with icon, design and runs, one table row per metric, reasons, exit code', () => {
    const comparison = mixed();
    const md = renderComparisonMarkdown(comparison, verdictOf(comparison), { title: 'nightly' });
    const lines = md.split('\n');
    assert.equal(lines[0], '### ❌ nightly: FAILED — regression: delivery_latency p50 +20.0 %');
    assert.match(
      md,
      /^paired: 8 interleaved pairs; .*\. Baseline runs: 20261201-000000-aaaa-1, .*\. Candidate runs: /m,
    );
    assert.ok(lines.includes('| metric | baseline | candidate | change [interval] | verdict |'));
    assert.ok(lines.includes('| delivery_latency p50 | 4 ms | 4.8 ms | +20.0 % [+18.0 %, +22.1 %] | ✗ regression |'));
    assert.ok(lines.includes('| messages_delivered /s | 2,000/s | 1,990/s | −0.5 % [−1.2 %, +0.3 %] | ✓ pass |'));
    assert.ok(lines.includes('- **delivery_latency p50**: +20.0 % [+18.0 %, +22.1 %]: worse, by 5.0 % or more'));
    assert.match(md, /^Exit code 99\. /m);
    const undecided = comparisonOf(
      [{ id: 'delivery_latency p50', verdict: 'inconclusive', medians: [4, 4], change: null, reason: 'n' }],
      { baseline: ['a'], current: ['b'] },
      'inconclusive at 5.0 %: 1 of 1 metrics (delivery_latency p50)',
    );
    assert.match(renderComparisonMarkdown(undecided, verdictOf(undecided)), /^### ❔ centrifugo-bench: INCONCLUSIVE/);
  });

  test('a "|" in a reason or headline cannot break the table', () => {
    const comparison = comparisonOf(
      [
        {
          id: 'delivery_latency p50',
          verdict: 'pass',
          medians: [4, 4],
          change: [0, -0.01, 0.01],
          reason: 'a | b',
        },
      ],
      { baseline: ['a'], current: ['b'] },
      'no regression | none',
    );
    const md = renderComparisonMarkdown(comparison, verdictOf(comparison));
    assert.match(md, /^### ✅ centrifugo-bench: PASSED — no regression \\\| none$/m);
    assert.ok(md.includes('- **delivery_latency p50**: a \\| b'));
    const row = md.split('\n').find((line) => line.startsWith('| delivery_latency p50 '));
    assert.equal(row?.match(/(?<!\\)\|/g)?.length, 6, 'five cells, six unescaped pipes');
  });
});

describe('comparison: JUnit', () => {
  const testcases = (xml: string) =>
    [...xml.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"/g)].map((m) => `${m[1]} / ${m[2]}`).sort();

  test('well-formed; regression = failure, inconclusive = skipped, pass = passed; runs listed as properties', () => {
    const comparison = mixed();
    const xml = renderComparisonJunit(comparison, verdictOf(comparison), { suite: 'centrifugo-bench fan<out>' });
    assertWellFormedXml(xml);
    assert.match(xml, /<testsuites name="centrifugo-bench" tests="4" failures="1" errors="0" skipped="1">/);
    assert.match(
      xml,
      /<testsuite name="centrifugo-bench fan&lt;out&gt;" tests="4" failures="1" errors="0" skipped="1">/,
    );
    assert.match(xml, /<testcase classname="runs" name="runs are valid" time="0"\/>/);
    assert.match(
      xml,
      /<testcase classname="comparison" name="delivery_latency p50" time="0">\n {6}<failure type="regression" message="regression: \+20\.0 % \[\+18\.0 %, \+22\.1 %\]: worse, by 5\.0 % or more"\/>/,
    );
    assert.match(
      xml,
      /<testcase classname="comparison" name="delivery_latency p99" time="0">\n {6}<skipped message="inconclusive: /,
    );
    assert.match(xml, /<testcase classname="comparison" name="messages_delivered \/s" time="0"\/>/);
    assert.match(xml, /<property name="verdict" value="failed"\/>/);
    assert.match(xml, /<property name="baselineRuns" value="20261201-000000-aaaa-1 .* 20261201-000000-aaaa-8"\/>/);
  });

  test('test names are stable across baselines: other baseline runs, other numbers, the same testcases', () => {
    const one = mixed('20261201-000000-aaaa', 8);
    const other = mixed('20261130-235959-ffff', 5);
    other.metrics[0]!.change = { estimate: 0.31, low: 0.2, high: 0.4 };
    const xmlOne = renderComparisonJunit(one, verdictOf(one), { suite: 'centrifugo-bench fanout-smoke' });
    const xmlOther = renderComparisonJunit(other, verdictOf(other), { suite: 'centrifugo-bench fanout-smoke' });
    assert.notEqual(xmlOne, xmlOther);
    assert.deepEqual(testcases(xmlOne), testcases(xmlOther));
    assert.deepEqual(testcases(xmlOne), [
      'comparison / delivery_latency p50',
      'comparison / delivery_latency p99',
      'comparison / messages_delivered /s',
      'runs / runs are valid',
    ]);
    for (const name of testcases(xmlOther)) assert.doesNotMatch(name, /ffff|aaaa|bbbb/, 'no run id in a test name');
  });

  test('an invalid run fails "runs are valid" with the headline', () => {
    const comparison = mixed();
    const verdict = verdictOf(comparison, { valid: false, invalidReasons: ['generator CPU 97% > 80%'] });
    assert.equal(verdict.status, 'invalid');
    const xml = renderComparisonJunit(comparison, verdict, { suite: 's' });
    assertWellFormedXml(xml);
    assert.match(
      xml,
      /<testcase classname="runs" name="runs are valid" time="0">\n {6}<failure type="invalid-run" message="INVALID — 8 runs cannot be trusted \(20261204-000000-bbbb-1: generator CPU 97% &gt; 80%/,
    );
    assert.match(xml, /tests="4" failures="2" errors="0" skipped="1"/);
  });
});
