/**
 * How long loading a run takes, and what the live writer costs the run per second of data.
 *
 *   node --import tsx harness/results/clickhouse/results.bench.ts <clickhouse-url> [seconds=3600] [deliveries/s=2000]
 *
 * Writes a fixture run of `seconds` seconds (7 trends with HDR histograms, 12 counters, 2 gauges per
 * second), then: maps every point to rows as the live writer does (CPU per point), loads the run
 * (first load), loads it again (delete + insert), and prints the figures.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TimeseriesPoint } from '../../common/summary-types.ts';
import { writeFixtureRun } from './fixture-run.ts';
import { loadRunDir } from './load-run.ts';
import { isoToUs, pointRows } from './rows.ts';
import { RUN_FILES } from './run-files.ts';

const [url, secondsArg, rateArg] = process.argv.slice(2);
if (!url) {
  process.stderr.write('usage: results.bench.ts <clickhouse-url> [seconds] [deliveries/s]\n');
  process.exit(2);
}
const seconds = Number(secondsArg ?? 3600);
const root = mkdtempSync(path.join(os.tmpdir(), 'centrifugo-bench-results-bench-'));
try {
  let started = performance.now();
  const fixture = writeFixtureRun(root, {
    runId: `bench-${Date.now()}`,
    startedAt: new Date(Date.now() - seconds * 1000),
    seconds,
    deliveriesPerSecond: Number(rateArg ?? 2000),
    sampleEvery: 100,
  });
  const fixtureMs = performance.now() - started;
  const file = path.join(fixture.dir, RUN_FILES.timeseries);
  const points = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as TimeseriesPoint);

  started = performance.now();
  let rows = 0;
  const t0 = isoToUs(fixture.info.startedAt);
  for (const point of points) {
    const r = pointRows(fixture.info.runId, '', point, t0);
    rows += r.trend_seconds.length + r.value_seconds.length + r.generator_seconds.length;
  }
  const mapUs = ((performance.now() - started) * 1000) / points.length;

  started = performance.now();
  const first = await loadRunDir(fixture.dir, url);
  const firstMs = performance.now() - started;
  started = performance.now();
  const second = await loadRunDir(fixture.dir, url);
  const secondMs = performance.now() - started;
  const total = Object.values(first.rows).reduce((a, b) => a + (b ?? 0), 0);
  const mb = statSync(file).size / 1e6;
  process.stdout.write(
    [
      `run: ${seconds} s, ${(mb).toFixed(1)} MB timeseries.ndjson (fixture written in ${(fixtureMs / 1000).toFixed(1)} s)`,
      `live writer mapping: ${mapUs.toFixed(0)} µs per point (${(rows / points.length).toFixed(0)} rows per second of run)`,
      `first load: ${total} rows in ${(firstMs / 1000).toFixed(2)} s (${Math.round(total / (firstMs / 1000))} rows/s)`,
      `second load (delete + insert, ${second.replacedRows} rows replaced): ${(secondMs / 1000).toFixed(2)} s`,
      '',
    ].join('\n'),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
