import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatMs } from '../../common/format.ts';
import type { RunSummary, ThresholdResult } from '../../common/summary-types.ts';
import { sampleSummary } from '../../results/files/testing.ts';
import { escapeXml, renderJunit } from './junit-report.ts';
import { code, escapeCell, renderMarkdownSummary } from './markdown-summary.ts';
import { formatThresholdValue } from './measured-values.ts';
import { renderTerminalSummary } from './terminal-summary.ts';
import { assertWellFormedXml } from './testing.ts';

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

  test('aborted runs, errors, the push ledger, colours on request', () => {
    const text = renderTerminalSummary(
      summaryWith({
        aborted: { by: 'threshold', reason: "threshold delivery_latency 'avg<50' crossed at 12s: avg=80" },
        errorsByCode: { http_503: 5, ws_close_3012: 9 },
        push_ledger: { enqueued: 10, delivered: 7, failed: { unregistered: 2 }, queued: 0, unaccounted: 1 },
      }),
      { color: true },
    );
    assert.match(text, /⚠ ABORTED by threshold: threshold delivery_latency 'avg<50' crossed at 12s: avg=80/);
    assert.ok(text.indexOf('ws_close_3012') < text.indexOf('http_503'), 'errors by count, largest first');
    assert.match(text, /enqueued=10 delivered=7 failed=2 queued=0 unaccounted=1 .*✗ 1 unaccounted/);
    assert.ok(text.includes('\u001b[31m'), 'red when coloured');
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

  test('run facts from run.json', () => {
    const md = renderMarkdownSummary(summaryWith(), {
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

  test('an invalid run fails "run is valid" with its reasons', () => {
    const xml = renderJunit(summaryWith({ valid: false, invalidReasons: ['cpu > 80%', 'loop delay'] }));
    assertWellFormedXml(xml);
    assert.match(
      xml,
      /<failure type="invalid-run" message="invalid run: cpu &gt; 80%; loop delay">cpu &gt; 80%\nloop delay<\/failure>/,
    );
    assert.match(xml, /tests="3" failures="1" errors="0" skipped="0"/);
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
