import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsAggregator } from './aggregator.ts';
import { isSampled, SecondReservoir, sampleKey } from './delivery-sampler.ts';
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

test('delivery sampling: deterministic per (subscriber, stream, seq), close to the rate, bounded per second', () => {
  let sampled = 0;
  const perSubscriber = new Map<string, number>();
  for (let u = 1; u <= 200; u++) {
    const key = sampleKey('broadcast', `u${u}`);
    assert.equal(key, sampleKey('broadcast', `u${u}`));
    for (let q = 1; q <= 500; q++) {
      const hit = isSampled(key, q, 0.1);
      assert.equal(hit, isSampled(key, q, 0.1), 'same answer every time');
      if (hit) {
        sampled++;
        perSubscriber.set(`u${u}`, (perSubscriber.get(`u${u}`) ?? 0) + 1);
      }
      if (isSampled(key, q, 0.01)) assert.ok(hit, 'a lower rate samples a subset');
    }
  }
  // 100,000 deliveries at 10 %: binomial sd ≈ 95; different subscribers get different messages.
  assert.ok(Math.abs(sampled - 10_000) < 500, `sampled ${sampled}`);
  assert.ok(Math.min(...perSubscriber.values()) >= 25 && Math.max(...perSubscriber.values()) <= 80);
  assert.equal(isSampled(1, 1, 0), false);
  assert.equal(isSampled(1, 1, 1), true);

  let built = 0;
  const reservoir = new SecondReservoir<number>(100);
  for (let i = 0; i < 10_000; i++) {
    reservoir.offer(() => {
      built++;
      return i;
    });
  }
  const { rows, dropped } = reservoir.take();
  assert.equal(rows.length, 100);
  assert.equal(dropped, 9900);
  assert.ok(built < 1200, `rows are built only when kept (${built})`);
  // Uniform over the second, not the first 100: the kept mean is near the middle.
  const mean = rows.reduce((a, b) => a + b, 0) / rows.length;
  assert.ok(mean > 3500 && mean < 6500, `mean ${mean}`);
  assert.deepEqual(reservoir.take(), { rows: [], dropped: 0 });
});

test('trend values in one pass equal the library’s mean and getValueAtPercentile, value for value', () => {
  let seed = 11;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const shapes: Array<() => number> = [
    () => 0,
    () => Math.floor(random() * 1000),
    () => Math.floor(Math.exp(random() * 18)), // 1 µs … ~65 s, log-spread
    () => (random() < 0.99 ? 500 : 5_000_000),
  ];
  for (const [s, shape] of shapes.entries()) {
    for (const n of [1, 2, 7, 100, 999, 10_000]) {
      const h = newHistogram();
      for (let i = 0; i < n; i++) h.recordValue(shape());
      const ms = (us: number) => Math.round(us) / 1000;
      assert.deepEqual(
        trendValues(h),
        {
          count: n,
          avg: Math.round(h.mean) / 1000,
          min: ms(h.getValueAtPercentile(0)),
          med: ms(h.getValueAtPercentile(50)),
          p90: ms(h.getValueAtPercentile(90)),
          p95: ms(h.getValueAtPercentile(95)),
          p99: ms(h.getValueAtPercentile(99)),
          p999: ms(h.getValueAtPercentile(99.9)),
          max: ms(h.getValueAtPercentile(100)),
        },
        `shape ${s}, ${n} values`,
      );
    }
  }
});
