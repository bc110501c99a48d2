import assert from 'node:assert/strict';
import { test } from 'node:test';
import { niceTicks } from './grouped-bar-chart.ts';
import { type ComparisonMatrix, lossRatio, renderComparisonReport, sortCells } from './render-comparison-report.ts';
import { fixtureMatrix } from './testing/fixture-matrix.ts';

const rowsOf = (page: string) =>
  page
    .match(/<tbody>([\s\S]*?)<\/tbody>/)![1]!
    .split('</tr>')
    .filter((r) => r.includes('<td'));

test('one row per cell, ordered engine → room size → mode, with median and p99 of each latency and loss', () => {
  const matrix = fixtureMatrix();
  const page = renderComparisonReport(matrix, { generatedAt: new Date('2026-11-24T00:00:00Z') });
  const rows = rowsOf(page);
  assert.equal(rows.length, 12);
  // memory sorts before redis; modes keep their given order.
  assert.match(rows[0]!, /<td>memory<\/td><td class="num">100<\/td><td><code>api<\/code>/);
  assert.match(rows[2]!, /<code>cdc<\/code>/);
  assert.match(rows[11]!, /<td>redis<\/td><td class="num">1,000<\/td><td><code>cdc<\/code>/);
  // memory · 100 · api: creation 1.5 / 7.5, broadcast 2.5 / 12, delivery 4 / 24 ms, no loss.
  assert.match(
    rows[0]!,
    /<td class="num">1\.5 ms<\/td><td class="num">7\.5 ms<\/td><td class="num">2\.5 ms<\/td><td class="num">12 ms<\/td><td class="num best">4 ms<\/td><td class="num best">24 ms<\/td>/,
  );
  // redis · 100 · cdc lost 12 of 600,000.
  const lossy = rows.find((r) => r.includes('<td>redis</td><td class="num">100</td><td><code>cdc</code>'))!;
  assert.match(lossy, /<td class="num lossy">12<\/td>\s*<td class="num lossy">0\.002 %<\/td>/);
  assert.match(page, /Generated 2026-11-24T00:00:00\.000Z/);
  // Within memory · 100 the lowest broadcast median is outbox's and cdc's 0.2 ms (a tie between them, below api).
  assert.match(rows[1]!, /<td class="num best">0\.2 ms<\/td>/);
  assert.doesNotMatch(rows[0]!, /best">2\.5 ms/);
});

test('the grouped chart has one bar per cell, grouped by engine and room size', () => {
  const page = renderComparisonReport(fixtureMatrix());
  const svg = page.match(/<svg[\s\S]*<\/svg>/)![0];
  assert.equal((svg.match(/<g class="bar">/g) ?? []).length, 12);
  for (const group of ['memory · room 100', 'memory · room 1,000', 'redis · room 100', 'redis · room 1,000']) {
    assert.ok(svg.includes(`class="group">${group}</text>`), group);
  }
  assert.match(svg, /<title>redis · room 100 · cdc: p99 195 ms, median 32\.5 ms<\/title>/);
  assert.doesNotMatch(page, /<script/i);
});

test('labels from run files are escaped; invalid and empty inputs are shown, not hidden', () => {
  const matrix: ComparisonMatrix = {
    title: '<script>alert(1)</script>',
    cells: [
      {
        labels: { mode: '<img src=x onerror=alert(1)>', roomSize: 10, engine: 'nats' },
        metrics: {},
        valid: false,
        invalidReasons: ['cpu'],
      },
    ],
  };
  const page = renderComparisonReport(matrix);
  assert.ok(!page.includes('<script>alert'));
  assert.ok(!page.includes('<img src=x'));
  assert.match(page, /&lt;img src=x onerror=alert\(1\)&gt;/);
  assert.match(page, /<span class="bad" title="cpu">INVALID<\/span>/);
  assert.match(page, /class="na">n\/a</);
  assert.match(renderComparisonReport({ cells: [] }), /id="no-cells"/);
});

test('loss ratio, ordering and axis ticks', () => {
  const [cell] = fixtureMatrix().cells;
  assert.equal(lossRatio(cell!), 0);
  assert.equal(lossRatio({ ...cell!, metrics: {} }), null);
  assert.deepEqual(
    sortCells(fixtureMatrix().cells)
      .map((c) => `${c.labels.engine}/${c.labels.roomSize}/${c.labels.mode}`)
      .slice(0, 4),
    ['memory/100/api', 'memory/100/outbox', 'memory/100/cdc', 'memory/1000/api'],
  );
  assert.deepEqual(niceTicks(195), [0, 50, 100, 150, 200]);
  assert.deepEqual(niceTicks(0.9), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0), [0, 1]);
});
