import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { RunSummary } from '../../common/summary-types.ts';
import { loadRunDir } from './load-run-dir.ts';
import { cpuPercent, MARKER_COLORS, prepareCharts, roundForChart, verdictOf } from './prepare-run-report.ts';
import {
  FIXTURE_FAULT_AT,
  FIXTURE_RESTART_AT,
  FIXTURE_SPIKE_MAX_MS,
  fixtureTimeline,
  writeFixtureRun,
} from './testing/write-fixture-run.ts';

const SPIKE = roundForChart(FIXTURE_SPIKE_MAX_MS);
const root = mkdtempSync(path.join(tmpdir(), 'report-prepare-'));
after(() => rmSync(root, { recursive: true, force: true }));

const seriesOf = (payload: ReturnType<typeof prepareCharts>, chart: string, label: string) => {
  const values = payload.charts.find((c) => c.id === chart)?.series.find((s) => s.label === label)?.values;
  assert.ok(values, `${chart}/${label} exists`);
  return values;
};

test('a 10-minute run is drawn raw: every chart, the spike at its second, markers at their times', async () => {
  const run = await loadRunDir(writeFixtureRun(root, { runId: 'raw', durationS: 600 }));
  const payload = prepareCharts(run.summary, run.points, run.timeline);
  assert.equal(payload.bucketSeconds, 1);
  assert.equal(payload.x.length, 600);
  assert.deepEqual(
    payload.charts.map((c) => c.id),
    ['delivery-latency', 'throughput', 'connections', 'loss', 'generator', 'push-rates', 'push-queue', 'push-latency'],
  );
  const max = seriesOf(payload, 'delivery-latency', 'max');
  assert.equal(payload.x[max.indexOf(SPIKE)], FIXTURE_FAULT_AT + 1);
  // Before publishing starts there is no latency: a gap, not a zero.
  assert.equal(max[0], null);
  assert.equal(seriesOf(payload, 'connections', 'subscribers connected')[FIXTURE_FAULT_AT], 500);

  assert.deepEqual(
    payload.markers.map((m) => [m.at, m.kind, m.name]),
    fixtureTimeline(600).map((e) => [e.at, e.kind, e.name]),
  );
  const kill = payload.markers.find((m) => m.at === FIXTURE_FAULT_AT)!;
  assert.equal(kill.color, MARKER_COLORS.fault);
  assert.equal(kill.detail, 'SIGKILL');
  assert.ok(payload.markers.some((m) => m.at === FIXTURE_RESTART_AT && m.kind === 'fault'));
});

test('a two-hour run is downsampled under the point budget and still shows the spike near the fault', async () => {
  const run = await loadRunDir(writeFixtureRun(root, { runId: 'long', durationS: 7200 }));
  const payload = prepareCharts(run.summary, run.points, run.timeline, { maxPoints: 600 });
  assert.equal(payload.pointsIn, 7200);
  assert.equal(payload.bucketSeconds, 24);
  assert.ok(payload.rowsOut <= 600);
  const max = seriesOf(payload, 'delivery-latency', 'max');
  const row = max.indexOf(SPIKE);
  assert.ok(row >= 0, 'spike kept');
  const bucketStart = payload.x[row % 2 === 0 ? row : row - 1]!;
  assert.ok(Math.abs(bucketStart - FIXTURE_FAULT_AT) < payload.bucketSeconds, `spike drawn near ${bucketStart}`);
  // Markers are never downsampled: they keep their exact times.
  assert.ok(payload.markers.some((m) => m.at === FIXTURE_FAULT_AT));
  for (const chart of payload.charts) {
    for (const s of chart.series) assert.equal(s.values.length, payload.x.length, `${chart.id}/${s.label}`);
  }
});

test('push charts appear only when the run pushed; generator CPU is drawn as a percentage', async () => {
  const run = await loadRunDir(writeFixtureRun(root, { runId: 'nopush', durationS: 60, withPush: false }));
  const payload = prepareCharts(run.summary, run.points, run.timeline);
  assert.ok(!payload.charts.some((c) => c.id.startsWith('push')));
  const cpu = seriesOf(payload, 'generator', 'CPU (% of one core)');
  assert.ok(Math.abs(cpu[0]! - cpuPercent(run.points[0]!.generator.cpu)) < 0.01);
  assert.equal(cpuPercent(0.5), 50);
});

test('chart values keep at least three significant digits', () => {
  assert.equal(SPIKE, 2346);
  assert.equal(roundForChart(12.3456), 12.35);
  assert.equal(roundForChart(0.123456), 0.1235);
  assert.equal(roundForChart(Number.POSITIVE_INFINITY), null);
});

test('the verdict follows thresholds and aborts; validity is reported separately', () => {
  const base = {
    aborted: null,
    thresholds: [{ metric: 'delivery_latency', expression: 'p(99)<250', ok: true, value: 12, abortOnFail: false }],
  } as unknown as RunSummary;
  assert.deepEqual(verdictOf(base), { label: 'PASSED: 1 thresholds', tone: 'ok' });
  const failed = { ...base, thresholds: [{ ...base.thresholds[0]!, ok: false }] };
  assert.equal(verdictOf(failed).label, 'FAILED: 1 of 1 thresholds');
  assert.equal(verdictOf({ ...base, thresholds: [] }).tone, 'warn');
  assert.match(verdictOf({ ...base, aborted: { by: 'signal', reason: 'SIGINT' } }).label, /ABORTED by signal: SIGINT/);
});
