/**
 * Opens the generated reports in headless Chromium (Debian's `chromium` package, driven by
 * playwright-core) over file:// and checks what a reader would see: no errors, no network request at
 * all, every chart drawn with its series' colours, fault markers at their seconds, and a screenshot
 * that is not blank. Skips only when no Chromium is installed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { findChromium } from '../../stack/testing.ts';
import { MARKER_COLORS } from './prepare-run-report.ts';
import { renderComparisonReport } from './render-comparison-report.ts';
import { renderRunReport } from './render-run-report.ts';
import { fixtureMatrix } from './testing/fixture-matrix.ts';
import { FIXTURE_FAULT_AT, writeFixtureRun } from './testing/write-fixture-run.ts';

const executablePath = findChromium();
const SKIP = executablePath
  ? false
  : 'no Chromium installed (`npm test` installs it as root: apt-get install chromium; or set CHROMIUM_PATH)';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const dir = mkdtempSync(path.join(tmpdir(), 'report-chromium-'));
let context: BrowserContext | undefined;

before(async () => {
  if (!executablePath) return;
  context = await chromium.launchPersistentContext(path.join(dir, 'user-data'), {
    executablePath,
    headless: true,
    args: ARGS,
    viewport: { width: 1200, height: 900 },
    timeout: 60_000,
  });
});

after(async () => {
  await context?.close();
  if (process.env.KEEP_REPORT_SCREENSHOTS) process.stderr.write(`report screenshots kept in ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
});

interface Watched {
  page: Page;
  requests: string[];
  problems: string[];
}

/** A page that records every request, failure, console error, uncaught error and dialog. */
async function watchedPage(): Promise<Watched> {
  const page = await context!.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  return { page, requests, problems };
}

const PROBES = readFileSync(new URL('./testing/page-probes.js', import.meta.url), 'utf8');

interface ChartProbe {
  id: string;
  seriesPixels: number[];
  markerColumn: number;
  quietColumn: number;
  plotHeight: number;
}

/** Runs one of testing/page-probes.js in the page (injected as inline content: no request). */
async function probe<T>(page: Page, name: string, arg: unknown): Promise<T> {
  await page.addScriptTag({ content: PROBES });
  return page.evaluate(`window.__probes.${name}(${JSON.stringify(arg)})`) as Promise<T>;
}

test('the run report opens offline in Chromium with every chart drawn', { skip: SKIP, timeout: 120_000 }, async (t) => {
  const runDir = writeFixtureRun(dir, { durationS: 600 });
  const timeline = path.join(runDir, 'timeline.ndjson');
  const evil = '</script><script>alert("xss")</script>';
  writeFileSync(
    timeline,
    `${readFileSync(timeline, 'utf8')}${JSON.stringify({ at: 500, kind: 'note', name: evil })}\n`,
  );
  const report = await renderRunReport(runDir);
  const url = pathToFileURL(report.file).href;

  const { page, requests, problems } = await watchedPage();
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('html[data-charts-drawn]', { timeout: 15_000 });

  const charts = await probe<ChartProbe[]>(page, 'chartPixels', {
    markerAt: FIXTURE_FAULT_AT,
    quietAt: FIXTURE_FAULT_AT - 120,
    markerColour: MARKER_COLORS.fault,
  });

  assert.deepEqual(
    charts.map((c) => c.id),
    ['delivery-latency', 'throughput', 'connections', 'loss', 'generator', 'push-rates', 'push-queue', 'push-latency'],
  );
  t.diagnostic(`series pixels: ${charts.map((c) => `${c.id} ${c.seriesPixels}`).join('; ')}`);
  for (const c of charts) {
    // Drawn, not blank: the series' own colours cover a visible line inside the plot area.
    const drawn = c.seriesPixels.reduce((a, b) => a + b, 0);
    assert.ok(drawn > 300, `${c.id}: series pixels ${c.seriesPixels}`);
    // The fault marker is a vertical line at its second, spanning most of the plot, and nowhere else nearby.
    assert.ok(c.markerColumn > c.plotHeight * 0.8, `${c.id}: fault marker pixels ${c.markerColumn}/${c.plotHeight}`);
    assert.equal(c.quietColumn, 0, `${c.id}: no marker two minutes before the fault`);
  }
  assert.equal(await page.textContent('#verdict'), 'FAILED: 1 of 2 thresholds');

  const png = path.join(dir, 'run-report.png');
  const shot = await page.screenshot({ path: png, fullPage: true });
  t.diagnostic(`screenshot: ${png} (${shot.length} bytes); report ${report.bytes} bytes`);
  await page.close();

  assert.deepEqual(problems, []);
  assert.deepEqual(requests, [url], 'the only request is the report file itself');

  const blank = await watchedPage();
  const stats = await probe<{ colours: number; inkShare: number }>(blank.page, 'imageStats', shot.toString('base64'));
  await blank.page.close();
  assert.ok(stats.colours > 200, `distinct colours ${stats.colours}`);
  assert.ok(stats.inkShare > 0.03, `non-white share ${stats.inkShare}`);
});

test('the comparison report opens offline with its grouped chart', { skip: SKIP, timeout: 60_000 }, async (t) => {
  const file = path.join(dir, 'comparison.html');
  writeFileSync(file, renderComparisonReport(fixtureMatrix()));
  const url = pathToFileURL(file).href;
  const { page, requests, problems } = await watchedPage();
  await page.goto(url, { waitUntil: 'load' });

  const bars = await probe<number[]>(page, 'barHeights', '#comparison-chart g.bar rect');
  assert.equal(bars.length, 24, 'a p99 bar and a median bar per cell');
  assert.ok(
    bars.every((h) => h > 0.5),
    `bar heights ${bars.map((h) => h.toFixed(1))}`,
  );
  assert.equal(await page.locator('#comparison tbody tr').count(), 12);

  const png = path.join(dir, 'comparison.png');
  const shot = await page.screenshot({ path: png, fullPage: true });
  t.diagnostic(`screenshot: ${png}`);
  const stats = await probe<{ colours: number }>(page, 'imageStats', shot.toString('base64'));
  await page.close();
  assert.deepEqual(problems, []);
  assert.deepEqual(requests, [url]);
  assert.ok(stats.colours > 50, `distinct colours ${stats.colours}`);
});
