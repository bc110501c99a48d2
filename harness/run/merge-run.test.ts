/**
 * `results merge` on hand-made shard folders (no stack): counters summed, histograms merged exactly, seconds keyed
 * by the coordinator's clock, thresholds judged on the merged run, a missing shard named in the invalid reasons.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import * as hdr from 'hdr-histogram-js';
import { ExitCode } from '../common/exit-codes.ts';
import type { RunInfo, RunSummary } from '../common/summary-types.ts';
import { renderTerminalSummary } from '../gate/index.ts';
import { RunWriter } from '../results/files/index.ts';
import { samplePoint, sampleSummary } from '../results/files/testing.ts';
import { mergeShardRuns } from './merge-run.ts';
import type { ShardRecord } from './shard-session.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'cb-merge-'));
after(() => rmSync(root, { recursive: true, force: true }));

const scenarioConfig = {
  name: 'smoke',
  stack: { provider: 'local', engine: 'memory', nodes: 1 },
  workload: {
    subscribers: { count: 30 },
    publishers: { executor: 'constant-arrival-rate', rate: 3, duration: '3s', preAllocatedVUs: 1 },
  },
  thresholds: { messages_lost: ['count==0'], delivery_latency: ['p(99)<250'] },
};

function histogramOf(valuesUs: number[]): string {
  const histogram = hdr.build({ bitBucketSize: 32, autoResize: true, useWebAssembly: false });
  for (const value of valuesUs) histogram.recordValue(value);
  return hdr.encodeIntoCompressedBase64(histogram);
}

/** One shard's folder: 30 deliveries (latencies `latenciesUs`), `lost` of them lost, 3 seconds of points. */
async function writeShard(runId: string, index: number, count: number, latenciesUs: number[], lost: number) {
  const writer = await RunWriter.open({ runId: String(index), root: path.join(root, runId, 'shards') });
  const startedAt = '2026-12-05T08:00:00.000Z';
  const info = {
    schemaVersion: 1,
    runId,
    scenario: { name: 'smoke', file: 'scenarios/smoke.ts', config: scenarioConfig },
    startedAt,
    git: { commit: null, dirty: null },
    host: { hostname: 'h', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'cpu', memoryBytes: 1 },
    node: process.version,
    harnessVersion: '0.1.0',
    stack: { provider: 'external', engine: 'memory', nodes: 1 },
    versions: {},
  } satisfies RunInfo;
  await writer.writeRunInfo(info);
  for (let t = 0; t < 3; t++) {
    writer.appendPoint({ ...samplePoint(t, 5, 10), gauges: { subscribers_connected: 10 + t } });
  }
  const delivered = latenciesUs.length;
  const summary: RunSummary = sampleSummary({
    runId,
    startedAt,
    endedAt: '2026-12-05T08:00:03.000Z',
    durationS: 3,
    metrics: {
      delivery_latency: {
        type: 'trend',
        unit: 'ms',
        count: delivered,
        avg: 0,
        min: 0,
        med: 0,
        p90: 0,
        p95: 0,
        p99: 0,
        p999: 0,
        max: 0,
      },
      messages_expected: { type: 'counter', count: delivered + lost, rate: 0 },
      messages_delivered: { type: 'counter', count: delivered, rate: 0 },
      messages_lost: { type: 'counter', count: lost, rate: 0 },
      subscribers_connected: { type: 'gauge', value: 12, min: 10, max: 12 },
    },
  });
  await writer.writeHistograms({ delivery_latency: histogramOf(latenciesUs) });
  await writer.writeSummary(summary);
  await writer.close();
  const offset = { offsetUs: 0, uncertaintyUs: 50, samples: 16 };
  const record: ShardRecord = {
    runId,
    shard: { index, count },
    scenarioHash: 'hash',
    harnessVersion: '0.1.0',
    coordinator: 'http://127.0.0.1:1',
    clock: { before: offset, after: offset, maxUncertaintyUs: 5000, epochMinusMonoUs: 0, testSkewUs: 0 },
    startAtUs: 0,
    invalidReasons: [],
  };
  writeFileSync(path.join(root, runId, 'shards', String(index), 'shard.json'), JSON.stringify(record));
}

describe('merge of a sharded run', () => {
  it('sums counters, merges histograms exactly, keys seconds by the coordinator, judges thresholds', async () => {
    const a = Array.from({ length: 30 }, (_, i) => 1000 + i * 500);
    const b = Array.from({ length: 30 }, (_, i) => 900_000 + i * 1000); // one slow shard: p99 over 250 ms
    await writeShard('two', 0, 2, a, 0);
    await writeShard('two', 1, 2, b, 2);
    const merged = await mergeShardRuns('two', { root, report: false });
    const counter = (name: string) => {
      const metric = merged.summary.metrics[name];
      return metric?.type === 'counter' ? metric.count : -1;
    };
    assert.equal(counter('messages_expected'), 62);
    assert.equal(counter('messages_delivered'), 60);
    assert.equal(counter('messages_lost'), 2);
    const latency = merged.summary.metrics.delivery_latency;
    const all = hdr.decodeFromCompressedBase64(histogramOf([...a, ...b]), 64, false);
    assert.ok(latency?.type === 'trend');
    assert.equal(latency.count, 60);
    assert.equal(latency.p99, Math.round(all.getValueAtPercentile(99)) / 1000);
    // Same seconds on both shards (same start, offset 0): three merged points, levels summed.
    const points = readFileSync(path.join(root, 'two', 'timeseries.ndjson'), 'utf8')
      .trim()
      .split('\n');
    assert.equal(points.length, 3);
    assert.deepEqual(JSON.parse(points[2]!).gauges, { subscribers_connected: 24 });
    const gauge = merged.summary.metrics.subscribers_connected;
    assert.ok(gauge?.type === 'gauge' && gauge.min === 20 && gauge.max === 24);
    assert.deepEqual(
      merged.summary.thresholds.map((t) => [t.metric, t.ok]),
      [
        ['messages_lost', false],
        ['delivery_latency', false],
      ],
    );
    assert.equal(merged.exitCode, ExitCode.thresholdsFailed);
    assert.match(readFileSync(path.join(root, 'two', 'junit.xml'), 'utf8'), /messages_lost/);
    // How exact the latencies are across the shards' clocks, beside them: the worst estimate (±50 µs here).
    assert.deepEqual(merged.summary.clock, { shards: 2, uncertaintyMs: 0.05, boundMs: 5 });
    assert.match(renderTerminalSummary(merged.summary), /latency across 2 shards' clocks: ± 0\.05 ms \(bound 5 ms\)/);
  });

  it('a shard that wrote nothing makes the merged run invalid, naming it', async () => {
    await writeShard('three', 0, 3, [1000], 0);
    await writeShard('three', 2, 3, [1000], 0);
    const merged = await mergeShardRuns('three', { root, report: false });
    assert.equal(merged.summary.valid, false);
    assert.ok(merged.summary.invalidReasons.some((reason) => /^shard 1 wrote nothing/.test(reason)));
    assert.equal(merged.exitCode, ExitCode.invalidRun);
    assert.deepEqual(merged.merged, [0, 2]);
  });
});
