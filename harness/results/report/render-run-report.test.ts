import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { UserError } from '../../common/errors.ts';
import { gatherRunInfo, RunWriter } from '../files/index.ts';
import { samplePoint, sampleSummary } from '../files/testing.ts';
import { renderRunReport } from './render-run-report.ts';
import { writeFixtureRun } from './testing/write-fixture-run.ts';

const root = mkdtempSync(path.join(tmpdir(), 'report-render-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The JSON the page script reads, parsed back the way the browser does. */
function embeddedData(page: string): { x: number[]; markers: { name: string }[] } {
  const match = page.match(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/);
  assert.ok(match, 'report-data element present');
  return JSON.parse(match[1]!);
}

test('a 10-minute run becomes one self-contained page under 200 KB', async () => {
  const dir = writeFixtureRun(root, { runId: 'ten-minutes', durationS: 600 });
  const report = await renderRunReport(dir);
  assert.equal(report.file, path.join(dir, 'report.html'));
  const page = readFileSync(report.file, 'utf8');
  assert.equal(report.bytes, Buffer.byteLength(page));
  assert.ok(report.bytes < 200 * 1024, `${report.bytes} bytes`);

  // Offline: nothing loaded by URL — no external script, stylesheet, image, font or import.
  assert.doesNotMatch(page, /<script[^>]+src=/i);
  assert.doesNotMatch(page, /<link[^>]+href=/i);
  assert.doesNotMatch(page, /<img /i);
  assert.doesNotMatch(page, /@import|url\(\s*['"]?https?:/i);
  assert.match(page, /uPlot/); // the library itself is inlined

  assert.match(page, /<h1>fanout-1k-kill-node<\/h1>/);
  assert.match(page, /FAILED: 1 of 2 thresholds/);
  // Each threshold's value in the unit of what its expression compares (p(99) of a trend: ms).
  assert.match(page, /<code>p\(99\)&lt;250<\/code><\/td>\s*<td class="num">16\.1 ms<\/td>/);
  assert.match(page, /<code>count==0<\/code><\/td>\s*<td class="num">37<\/td>/);
  assert.match(page, /id="validity">VALID</);
  assert.match(page, /3a7f9b5c0ffee1234567890abcdef1234567890/);
  assert.match(page, /centrifugo 6\.9\.1/);
  assert.match(page, /<code>ws_close_3012<\/code><\/td><td class="num">412</);
  assert.match(page, /id="push-ledger"/);
  assert.doesNotMatch(page, /id="downsampling"/);
  assert.equal(embeddedData(page).x.length, 600);
});

test('an invalid run says so in red with its reasons', async () => {
  const dir = writeFixtureRun(root, { runId: 'invalid', durationS: 60, valid: false });
  const page = readFileSync((await renderRunReport(dir)).file, 'utf8');
  assert.match(page, /class="badge bad" id="validity">INVALID</);
  assert.match(page, /<ul class="reasons" id="invalid-reasons"><li>generator event-loop delay p99 40\.2 ms/);
});

test('a run merged from shards shows its clocks’ uncertainty beside latency', async () => {
  const clock = { shards: 3, uncertaintyMs: 0.42, boundMs: 5 };
  const page = readFileSync((await renderRunReport(writeFixtureRun(root, { runId: 'sharded', clock }))).file, 'utf8');
  assert.match(
    page,
    /id="clock-uncertainty">Merged from 3 shards: latencies across their clocks are exact to ± 0\.42 ms/,
  );
  const single = readFileSync((await renderRunReport(writeFixtureRun(root, { runId: 'single' }))).file, 'utf8');
  assert.doesNotMatch(single, /clock-uncertainty/);
});

test('strings from the run are escaped in HTML and cannot break out of the embedded JSON', async () => {
  const evil = `</script><script>alert("x")</script><!--`;
  const dir = writeFixtureRun(root, { runId: 'xss', durationS: 60, scenarioName: evil });
  const timeline = path.join(dir, 'timeline.ndjson');
  writeFileSync(timeline, `${readFileSync(timeline, 'utf8')}${JSON.stringify({ at: 50, kind: 'note', name: evil })}\n`);
  const page = readFileSync((await renderRunReport(dir)).file, 'utf8');
  assert.ok(!page.includes('<script>alert'), 'no injected script element');
  assert.ok(!page.includes('<!--'), 'no injected comment');
  assert.match(page, /<h1>&lt;\/script&gt;&lt;script&gt;alert\(&quot;x&quot;\)/);
  // The marker name reaches the page script intact.
  assert.ok(embeddedData(page).markers.some((m) => m.name === evil));
});

test('a long run is downsampled, and the page says so', async () => {
  const dir = writeFixtureRun(root, { runId: 'long', durationS: 3600, withPush: false });
  const report = await renderRunReport(dir);
  const page = readFileSync(report.file, 'utf8');
  assert.equal(report.bucketSeconds, 12);
  assert.ok(report.bytes < 200 * 1024, `${report.bytes} bytes`);
  assert.match(page, /id="downsampling">Downsampled for drawing: 3,600 per-second points/);
  assert.ok(embeddedData(page).x.length <= 600);
  assert.doesNotMatch(page, /Push pipeline/);
});

test('without timeline.ndjson, time series or run.json the page still renders what it has', async () => {
  const dir = writeFixtureRun(root, { runId: 'sparse', durationS: 60, timelineFile: false, timeseriesFile: false });
  unlinkSync(path.join(dir, 'run.json'));
  const page = readFileSync((await renderRunReport(dir)).file, 'utf8');
  assert.match(page, /<h1>fanout-1k-kill-node<\/h1>/);
  assert.match(page, /run\.json is missing: stack, versions, host and git commit unknown/);
  assert.match(page, /id="no-timeseries">This run has no time series \(no timeseries\.ndjson\)/);
  assert.match(page, /kill centrifugo-2/);
  assert.doesNotMatch(page, /id="report-data"/);
});

test('a missing or malformed run directory is one UserError naming the file and field', async () => {
  await assert.rejects(renderRunReport(path.join(root, 'nope')), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /no run directory at .*nope/);
    return true;
  });

  const dir = writeFixtureRun(root, { runId: 'broken', durationS: 30 });
  const summaryFile = path.join(dir, 'summary.json');
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  summary.thresholds[0].ok = 'yes';
  writeFileSync(summaryFile, JSON.stringify(summary));
  await assert.rejects(renderRunReport(dir), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /invalid .*summary\.json: thresholds\[0\]\.ok: /);
    return true;
  });

  writeFileSync(summaryFile, JSON.stringify({ ...summary, thresholds: [] }));
  const seriesFile = path.join(dir, 'timeseries.ndjson');
  const lines = readFileSync(seriesFile, 'utf8').split('\n');
  // A torn last line (a run killed mid-write) is skipped; a well-formed line of the wrong shape is an error.
  writeFileSync(seriesFile, `${lines.slice(0, 10).join('\n')}\n{"t":10,"ts":"2026-`);
  assert.equal((await renderRunReport(dir)).points, 10);
  writeFileSync(seriesFile, `${lines[0]}\n{"t":1,"ts":"x","trends":{},"counters":{"errors":"3"},"gauges":{}}\n`);
  await assert.rejects(renderRunReport(dir), /invalid .*timeseries\.ndjson \(point t=1\): counters\.errors: /);

  const runFile = path.join(dir, 'run.json');
  writeFileSync(runFile, JSON.stringify({ schemaVersion: 1, runId: 'broken' }));
  await assert.rejects(renderRunReport(dir), /invalid .*run\.json: scenario: /);

  unlinkSync(path.join(dir, 'summary.json'));
  await assert.rejects(renderRunReport(dir), /has no summary\.json/);
});

test('a run written by the results RunWriter renders (the files contract, end to end)', async () => {
  const writer = await RunWriter.open({ runId: '20261123-120000-abcd', root });
  await writer.writeRunInfo(
    await gatherRunInfo({
      runId: writer.runId,
      scenario: { name: 'fanout-smoke', file: 'scenarios/smoke.ts', config: {} },
      startedAt: '2026-11-23T12:00:00.000Z',
      stack: { provider: 'local', engine: 'memory', nodes: 1 },
      versions: { centrifugo: '6.9.1' },
      cwd: root,
    }),
  );
  writer.appendEvent({ at: 0, kind: 'phase', name: 'publish' });
  for (let t = 0; t < 60; t++) writer.appendPoint(samplePoint(t, t === 30 ? 80 : 4, 2000));
  writer.appendEvent({ at: 30, kind: 'fault', name: 'pause redis' });
  await writer.writeSummary(sampleSummary());
  await writer.close();

  const report = await renderRunReport(writer.dir);
  const page = readFileSync(report.file, 'utf8');
  assert.equal(report.points, 60);
  assert.match(page, /<h1>fanout-smoke<\/h1>/);
  assert.match(page, /PASSED: 2 thresholds/);
  assert.match(page, /pause redis/);
  const data = embeddedData(page);
  assert.equal(data.x.length, 60);
  assert.deepEqual(
    data.markers.map((m) => m.name),
    ['publish', 'pause redis'],
  );
});
