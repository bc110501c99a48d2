import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as hdr from 'hdr-histogram-js';
import { mulberry32 } from '../../common/seeded-random.ts';
import { mergeSnapshots, newLatencyHistogram, WorkerStats } from './stats.ts';

const VAPID = { verified: 0, cacheHits: 0 };

test("merged latency: the library's figures for the sum of the workers' decoded histograms", () => {
  const random = mulberry32(50);
  const workers = [new WorkerStats(), new WorkerStats()];
  for (let i = 0; i < 40_000; i++) {
    const e2eUs = Math.floor(random() ** 4 * 60e6); // up to a minute, most of it short
    workers[i % 2]!.accepted(1e12 + i, 1e12 + i - e2eUs);
  }
  const snapshots = workers.map((w) => w.snapshot(VAPID, 0));
  // What the primary answered before its single pass: the library's own accessors on the merged histogram.
  const all = newLatencyHistogram();
  for (const s of snapshots) all.add(hdr.decodeFromCompressedBase64(s.latency, 32));
  const { latency } = mergeSnapshots(snapshots);
  assert.deepEqual(
    { ...latency, histogram: undefined },
    {
      unit: 'us',
      count: 40_000,
      min: all.minNonZeroValue,
      mean: Math.round(all.mean),
      p50: all.getValueAtPercentile(50),
      p90: all.getValueAtPercentile(90),
      p99: all.getValueAtPercentile(99),
      p999: all.getValueAtPercentile(99.9),
      max: all.maxValue,
      histogram: undefined,
    },
  );
  assert.equal(latency.histogram, hdr.encodeIntoCompressedBase64(all));
});

test('merged latency without a receipt: all 0', () => {
  const { latency } = mergeSnapshots([new WorkerStats().snapshot(VAPID, 0)]);
  assert.deepEqual(
    { ...latency, histogram: undefined },
    {
      unit: 'us',
      count: 0,
      min: 0,
      mean: 0,
      p50: 0,
      p90: 0,
      p99: 0,
      p999: 0,
      max: 0,
      histogram: undefined,
    },
  );
});
