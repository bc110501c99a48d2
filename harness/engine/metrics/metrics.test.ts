import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsAggregator } from './aggregator.ts';
import { decodeHistogram, encodeHistogram, newHistogram, trendValues } from './histogram.ts';
import { MetricsRecorder } from './recorder.ts';

test('histograms merged from several workers equal one histogram of all values (exact, not averaged)', () => {
  const all = newHistogram();
  const parts = [newHistogram(), newHistogram(), newHistogram()];
  for (let i = 1; i <= 30_000; i++) {
    const value = (i * 7919) % 100_000; // µs, spread over 0–100 ms
    all.recordValue(value);
    parts[i % 3]!.recordValue(value);
  }
  const merged = newHistogram();
  for (const part of parts) merged.add(decodeHistogram(encodeHistogram(part)));
  assert.equal(merged.totalCount, 30_000);
  assert.deepEqual(trendValues(merged), trendValues(all));
});

test('3 significant digits: a percentile is within 0.1% of the true value', () => {
  const h = newHistogram();
  for (let i = 1; i <= 10_000; i++) h.recordValue(i * 100); // 0.1 ms … 1 s
  const v = trendValues(h);
  assert.ok(Math.abs(v.med - 500) / 500 < 0.001, `median ${v.med}`);
  assert.ok(Math.abs(v.p99 - 990) / 990 < 0.001, `p99 ${v.p99}`);
  assert.equal(v.min, 0.1);
  assert.equal(v.count, 10_000);
});

test('aggregator: per-second points, cumulative summaries, gauges summed across processes', () => {
  const aggregator = new MetricsAggregator();
  const w1 = new MetricsRecorder();
  const w2 = new MetricsRecorder();
  for (let i = 0; i < 100; i++) w1.recordUs('delivery_latency', 1000);
  for (let i = 0; i < 100; i++) w2.recordUs('delivery_latency', 3000);
  w1.count('messages_delivered', 100);
  w2.count('messages_delivered', 100);
  w1.gauge('subscribers_connected', 10);
  w2.gauge('subscribers_connected', 15);
  w2.error('ws_close_3012');
  const sample = { cpu: 0.5, cpuSeconds: 0.5, eventLoopDelayP99Ms: 2, rssBytes: 100 };
  aggregator.add('w1', w1.snapshot(), sample);
  aggregator.add('w2', w2.snapshot(), sample);
  const p1 = aggregator.closeSecond(1);
  assert.equal(p1.counters.messages_delivered, 200);
  assert.equal(p1.gauges.subscribers_connected, 25);
  assert.equal(p1.trends.delivery_latency!.count, 200);
  assert.ok(Math.abs(p1.trends.delivery_latency!.med - 1) <= 0.001, 'median 1 ms (to 3 significant digits)');
  assert.equal(p1.generator.cpu, 1);
  assert.ok(p1.hdr?.delivery_latency);
  assert.equal(decodeHistogram(p1.hdr!.delivery_latency!).totalCount, 200);
  // Next second: only w1 reports; its gauge changes, w2's last value still counts.
  w1.gauge('subscribers_connected', 5);
  w1.recordUs('delivery_latency', 50_000);
  aggregator.add('w1', w1.snapshot());
  const p2 = aggregator.closeSecond(2);
  assert.equal(p2.gauges.subscribers_connected, 20);
  assert.equal(p2.counters.messages_delivered, undefined);
  const summary = aggregator.summaries(2);
  assert.deepEqual(summary.messages_delivered, { type: 'counter', count: 200, rate: 100 });
  assert.deepEqual(summary.subscribers_connected, { type: 'gauge', value: 20, min: 20, max: 25 });
  const latency = summary.delivery_latency;
  assert.ok(latency?.type === 'trend');
  assert.equal(latency.count, 201);
  assert.ok(Math.abs(latency.max - 50) / 50 <= 0.001, `max ${latency.max} ≈ 50 ms`);
  assert.equal(Object.fromEntries(aggregator.errorsByCode).ws_close_3012, 1);
  assert.equal(decodeHistogram(aggregator.histograms().delivery_latency!).totalCount, 201);
});
