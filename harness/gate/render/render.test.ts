import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatMs } from '../../common/format.ts';
import type { RunSummary, ThresholdResult } from '../../common/summary-types.ts';
import { sampleSummary } from '../../results/files/testing.ts';
import { type BaselineComparison, compareSeries } from '../baseline.ts';
import { escapeXml, renderJunit } from './junit-report.ts';
import { code, escapeCell, renderMarkdownSummary } from './markdown-summary.ts';
import { formatThresholdValue } from './measured-values.ts';
import { renderTerminalSummary } from './terminal-summary.ts';

const failed: ThresholdResult = {
  metric: 'delivery_latency',
  expression: 'p(99)<5',
  ok: false,
  value: 10.5,
  abortOnFail: false,
};

function summaryWith(overrides: Partial<RunSummary> = {}): RunSummary {
  return sampleSummary(overrides);
}

function regression(): BaselineComparison {
  const slow = [11, 12, 13, 14, 15, 16, 17, 18, 19];
  const fast = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  return compareSeries(
    { 'delivery_latency p99': fast, 'messages_delivered /s': [5, 5, 5, 5, 5, 5, 5, 5, 5], 'publish_duration p99': [1] },
    { 'delivery_latency p99': slow, 'messages_delivered /s': [5, 5, 5, 5, 5, 5, 5, 5, 5], 'publish_duration p99': [1] },
    { baselineRunId: 'base-1', currentRunId: 'cur' },
  );
}

/**
 * Minimal XML well-formedness check: the whole text tokenises into a declaration, properly nested
 * elements with quoted attributes, and text; no raw "<" or stray "&" anywhere.
 */
function assertWellFormedXml(xml: string): void {
  const entity = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const body = xml.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/, '');
  assert.notEqual(body, xml, 'XML declaration first');
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  const stack: string[] = [];
  let roots = 0;
  let index = 0;
  while (index < body.length) {
    token.lastIndex = index;
    const match = token.exec(body);
    assert.ok(match, `not well-formed at: ${body.slice(index, index + 60)}`);
    index = token.lastIndex;
    const [, closing, name, attributes, selfClosing, text] = match;
    if (text !== undefined) {
      assert.doesNotMatch(text, entity, `stray & in text: ${text}`);
      if (!stack.length) assert.match(text, /^\s*$/, 'text outside the root');
      continue;
    }
    assert.doesNotMatch(attributes ?? '', entity, `stray & in attributes of <${name}>`);
    if (closing) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else if (!selfClosing) {
      if (!stack.length) roots++;
      stack.push(name ?? '');
    } else if (!stack.length) roots++;
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal(roots, 1, 'exactly one root element');
}

describe('formatting', () => {
  test('durations in the report style: sub-millisecond, ms, s, with the unit after a space', () => {
    assert.deepEqual([0, 0.84, 0.0125, 3.78, 10.5, 999.994, 1200, 60000].map(formatMs), [
      '0 ms',
      '0.84 ms',
      '0.013 ms',
      '3.78 ms',
      '10.5 ms',
      '1 s',
      '1.2 s',
      '60 s',
    ]);
  });

  test('threshold values carry their aggregation and unit', () => {
    const r = (metric: string, expression: string, value: number | null) =>
      formatThresholdValue({ metric, expression, value, ok: true, abortOnFail: false });
    assert.equal(r('delivery_latency', 'p(99.9)<250', 12.3456), 'p(99.9)=12.3 ms');
    assert.equal(r('messages_delivered', 'rate>10', 20.5), 'rate=20.5/s');
    assert.equal(r('messages_lost', 'count==0', 3), 'count=3');
    assert.equal(r('messages_lost', 'count==0', null), 'count=0 (no data)');
    assert.equal(r('delivery_latency', 'avg<1', null), 'avg: no data');
    assert.equal(r('subscribers_connected', 'value>=10', 9), 'value=9');
  });
});

describe('terminal summary', () => {
  test('thresholds first with ✓/✗ and values, then grouped metrics, report path, verdict last', () => {
    const text = renderTerminalSummary(summaryWith({ thresholds: [failed, ...sampleSummary().thresholds] }), {
      reportPath: 'results/r/report.html',
    });
    const lines = text.split('\n');
    const at = (needle: string) => lines.findIndex((line) => line.includes(needle));
    assert.ok(at('█ THRESHOLDS') < at('█ DELIVERY'));
    assert.ok(lines.includes("    ✗ 'p(99)<5' p(99)=10.5 ms"));
    assert.ok(lines.includes("    ✓ 'count==0' count=0"));
    assert.ok(
      lines.includes(
        '    delivery_latency.......: avg=4.2 ms min=0.84 ms med=3.78 ms max=16.8 ms p(90)=6.72 ms p(95)=7.98 ms p(99)=10.5 ms count=120,000',
      ),
    );
    assert.ok(lines.includes('    messages_delivered.....: 120,000    2,000/s'));
    assert.ok(lines.includes('    subscribers_connected..: 100        min=0 max=100'));
    assert.ok(at('messages_lost....') > at('delivery_latency.......'), 'trends before counters');
    assert.ok(at('report: results/r/report.html') > at('█ LOAD GENERATOR'));
    assert.equal(lines.filter(Boolean).at(-1), '  ✗ FAILED — 1 of 3 thresholds failed  (exit 99)');
    assert.ok(!text.includes('\u001b['), 'no ANSI codes unless asked');
  });

  test('an invalid run says so before anything else, with its reasons', () => {
    const text = renderTerminalSummary(summaryWith({ valid: false, invalidReasons: ['generator CPU 97% > 80%'] }));
    const lines = text.split('\n');
    const invalid = lines.findIndex((l) => l.includes('✗ INVALID RUN'));
    assert.ok(invalid > 0 && invalid < lines.findIndex((l) => l.includes('█ THRESHOLDS')));
    assert.equal(lines[invalid + 1], '      · generator CPU 97% > 80%');
    assert.match(lines.filter(Boolean).at(-1) ?? '', /INVALID RUN .*generator CPU 97% > 80%.*\(exit 3\)$/);
  });

  test('aborted runs, errors, the push ledger, the baseline, colours on request', () => {
    const text = renderTerminalSummary(
      summaryWith({
        aborted: { by: 'threshold', reason: "threshold delivery_latency 'avg<50' crossed at 12s: avg=80" },
        errorsByCode: { http_503: 5, ws_close_3012: 9 },
        push_ledger: { enqueued: 10, delivered: 7, failed: { unregistered: 2 }, queued: 0, unaccounted: 1 },
      }),
      { comparison: regression(), color: true },
    );
    assert.match(text, /⚠ ABORTED by threshold: threshold delivery_latency 'avg<50' crossed at 12s: avg=80/);
    assert.ok(text.indexOf('ws_close_3012') < text.indexOf('http_503'), 'errors by count, largest first');
    assert.match(text, /enqueued=10 delivered=7 failed=2 queued=0 unaccounted=1 .*✗ 1 unaccounted/);
    assert.match(text, /delivery_latency p99 +5 ms → 15 ms +\+200\.0 % +p<0\.001 +n=9\+9 +worse/);
    assert.match(text, /publish_duration p99 .*\? baseline has 1 samples, current run has 1 samples \(< 8\)/);
    assert.ok(text.includes('\u001b[31m'), 'red when coloured');
    assert.match(text, /FAILED — 1 regression against baseline base-1/);
  });
});

describe('summary.md', () => {
  test('headline verdict, threshold table, metric tables', () => {
    const md = renderMarkdownSummary(summaryWith({ thresholds: [failed] }));
    assert.match(md.split('\n')[0] ?? '', /^### ❌ centrifugo-bench: FAILED — 1 of 1 thresholds failed$/);
    assert.match(md, /\| ❌ \| `delivery_latency` \| `p\(99\)<5` \| p\(99\)=10\.5 ms \|/);
    assert.match(
      md,
      /\| `delivery_latency` \| 120,000 \| 4\.2 ms \| 3\.78 ms \| 7\.98 ms \| 10\.5 ms \| 13\.4 ms \| 16\.8 ms \|/,
    );
    assert.match(md, /\| `messages_delivered` \| 120,000 \| 2,000\/s \|/);
    assert.match(renderMarkdownSummary(summaryWith()), /^### ✅ centrifugo-bench: PASSED — 2 thresholds passed/);
  });

  test('invalid reasons as a warning block, escaped', () => {
    const md = renderMarkdownSummary(summaryWith({ valid: false, invalidReasons: ['p99 <script> | 3\nlines'] }));
    assert.match(md, /^### ⚠️ centrifugo-bench: INVALID RUN/);
    assert.match(md, /> \[!WARNING\]\n> \*\*Invalid run\*\*/);
    assert.match(md, /> - p99 &lt;script&gt; \\\| 3 lines/);
    assert.doesNotMatch(md, /<script>/);
  });

  test('baseline comparison table and run facts from run.json', () => {
    const md = renderMarkdownSummary(summaryWith(), {
      comparison: regression(),
      info: {
        schemaVersion: 1,
        runId: 'r',
        scenario: { name: 's', file: 'f', config: {} },
        startedAt: '',
        git: { commit: '0123456789abcdef0123', dirty: true },
        host: {
          hostname: 'h',
          platform: 'linux',
          arch: 'x64',
          cpus: 2,
          cpuModel: 'Xeon | E5',
          memoryBytes: 8 * 1024 ** 3,
        },
        node: 'v20',
        harnessVersion: '0.1.0',
        stack: { provider: 'local', engine: 'memory', nodes: 1 },
        versions: {},
      },
    });
    assert.match(md, /commit `0123456789ab` \(dirty\) · Xeon \\\| E5 × 2, 8 GiB/);
    assert.match(md, /#### Against baseline `base-1`/);
    assert.match(md, /\| delivery_latency p99 \| 5 ms \| 15 ms \| \+200\.0 % \| p<0\.001 \| ❌ worse \|/);
    assert.match(md, /\| messages_delivered \/s \| 5\/s \| 5\/s \| ±0\.0 % \| p=1\.000 \| ~ \|/);
  });

  test('cell and code escaping', () => {
    assert.equal(escapeCell('a|b\n<c> & d'), 'a\\|b &lt;c&gt; &amp; d');
    assert.equal(code('x`y|z'), '`` x`y\\|z ``');
    assert.equal(code('p(99)<250'), '`p(99)<250`');
  });
});

describe('junit.xml', () => {
  test('one testcase per threshold plus "run is valid"; failures carry the measured value', () => {
    const xml = renderJunit(summaryWith({ thresholds: [failed, ...sampleSummary().thresholds] }));
    assertWellFormedXml(xml);
    assert.match(xml, /<testsuites name="centrifugo-bench" tests="4" failures="1" errors="0" skipped="0" time="60">/);
    assert.match(xml, /<testsuite name="centrifugo-bench fanout-smoke" tests="4" failures="1"/);
    assert.match(xml, /<testcase classname="run" name="run is valid" time="0"\/>/);
    assert.match(
      xml,
      /<testcase classname="thresholds.delivery_latency" name="p\(99\)&lt;5" time="0">\n {6}<failure type="threshold" message="delivery_latency p\(99\)=10\.5 ms, expected p\(99\)&lt;5"><\/failure>/,
    );
    assert.match(xml, /<testcase classname="thresholds.messages_lost" name="count==0" time="0"\/>/);
  });

  test('an invalid run fails "run is valid" with its reasons; baseline series are testcases', () => {
    const xml = renderJunit(summaryWith({ valid: false, invalidReasons: ['cpu > 80%', 'loop delay'] }), {
      comparison: regression(),
    });
    assertWellFormedXml(xml);
    assert.match(
      xml,
      /<failure type="invalid-run" message="invalid run: cpu &gt; 80%; loop delay">cpu &gt; 80%\nloop delay<\/failure>/,
    );
    assert.match(
      xml,
      /name="delivery_latency p99 vs baseline base-1" time="0">\n {6}<failure type="regression" message="worse: 5 ms → 15 ms/,
    );
    assert.match(xml, /name="messages_delivered \/s vs baseline base-1" time="0"\/>/);
    assert.match(
      xml,
      /name="publish_duration p99 vs baseline base-1" time="0">\n {6}<skipped message="baseline has 1 samples/,
    );
    assert.match(xml, /tests="6" failures="2" errors="0" skipped="1"/);
  });

  test('escaping: markup, quotes, ampersands and control characters in any field', () => {
    assert.equal(
      escapeXml(`<a href="x">'&'</a>\u0001\u0007ok\u{1F600}`),
      '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;ok\u{1F600}',
    );
    const nasty = `evil"<scenario>&'\u0000]]>`;
    const xml = renderJunit(
      summaryWith({
        scenario: nasty,
        runId: 'r&d',
        invalidReasons: [nasty],
        valid: false,
        aborted: { by: 'signal', reason: '<SIGINT> & "more"' },
      }),
    );
    assertWellFormedXml(xml);
    assert.match(xml, /<testsuite name="centrifugo-bench evil&quot;&lt;scenario&gt;&amp;&apos;\]\]&gt;"/);
    assert.match(xml, /<property name="aborted" value="signal: &lt;SIGINT&gt; &amp; &quot;more&quot;"\/>/);
    assert.ok(!xml.includes('\u0000'));
  });

  test('the well-formedness check itself catches broken XML', () => {
    assert.throws(() => assertWellFormedXml('<?xml version="1.0" encoding="UTF-8"?>\n<a><b></a>'));
    assert.throws(() => assertWellFormedXml('<?xml version="1.0" encoding="UTF-8"?>\n<a x="1 & 2"/>'));
    assert.throws(() => assertWellFormedXml('<?xml version="1.0" encoding="UTF-8"?>\n<a>1 < 2</a>'));
  });
});
