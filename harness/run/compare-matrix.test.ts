import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunSummary, TimeseriesPoint, TrendValues } from '../common/summary-types.ts';
import { cellOverrides, planCells, recoverySeconds, renderMarkdownTable, tableRows } from './compare-matrix.ts';

const trend = (p99: number): TrendValues => ({
  count: 10,
  avg: p99 / 2,
  min: 1,
  med: p99 / 2,
  p90: p99,
  p95: p99,
  p99,
  p999: p99,
  max: p99,
});

function point(t: number, published: number, delivered: number, p99: number): TimeseriesPoint {
  return {
    t,
    ts: new Date(t * 1000).toISOString(),
    trends: delivered ? { delivery_latency: trend(p99) } : {},
    counters: { messages_published: published, messages_delivered: delivered },
    gauges: {},
    generator: { cpu: 0, eventLoopDelayP99Ms: 0, rssBytes: 0 },
  };
}

function summary(published: number, expected: number, faultAt: number | null): RunSummary {
  return {
    metrics: {
      messages_published: { type: 'counter', count: published, rate: 0 },
      messages_expected: { type: 'counter', count: expected, rate: 0 },
    },
    timeline: faultAt === null ? [] : [{ at: faultAt, kind: 'fault', name: 'kill-centrifugo-node' }],
  } as unknown as RunSummary;
}

test('cells: every engine × room size × mode, overrides set mode, engine and room', () => {
  const cells = planCells(['api', 'outbox'], [100, 1000], ['memory']);
  assert.equal(cells.length, 4);
  const overrides = cellOverrides(cells[3]!, { fault: 'kill-node', users: 1000 });
  assert.ok(overrides.includes('stack.chatApp.mode=outbox'));
  assert.ok(overrides.includes('stack.nodes=2'));
  assert.ok(overrides.some((o) => o.startsWith('dataset.rooms=') && o.includes('"members":1000')));
});

test('recovery: an api-like outage (nothing delivered for 10 s) recovers when deliveries keep up again', () => {
  // 2 messages/s, 10 subscribers each: 20 deliveries owed per second. Fault at t=10, back at t=20.
  const points: TimeseriesPoint[] = [];
  for (let t = 0; t < 30; t++) {
    const down = t >= 10 && t < 20;
    points.push(point(t, 2, down ? 0 : 20, 10));
  }
  assert.equal(recoverySeconds(points, summary(60, 600, 10.2)), 10);
});

test('recovery: a buffering mode (outbox-like) recovers when its backlog is delivered at normal latency', () => {
  const points: TimeseriesPoint[] = [];
  for (let t = 0; t < 30; t++) {
    // After the fault, half the subscribers wait 3 s, then get the backlog at high latency.
    if (t === 10 || t === 11 || t === 12) points.push(point(t, 2, 10, 10));
    else if (t === 13) points.push(point(t, 2, 50, 3000));
    else points.push(point(t, 2, 20, 10));
  }
  assert.equal(recoverySeconds(points, summary(60, 600, 10)), 4);
});

test('recovery: none without a fault', () => {
  assert.equal(recoverySeconds([point(0, 2, 20, 10)], summary(2, 20, null)), null);
});

test('table: loss as lost / expected, markdown escapes pipes', () => {
  const s = summary(10, 100, null);
  s.metrics.messages_lost = { type: 'counter', count: 3, rate: 0 };
  s.metrics.delivery_latency = { type: 'trend', unit: 'ms', ...trend(40) };
  (s as { valid: boolean }).valid = true;
  const rows = tableRows(
    [{ labels: { mode: 'a|b', roomSize: 1000, engine: 'redis' }, summary: s, runDir: null, recoveryS: null }],
    false,
  );
  assert.equal(rows[0]!.loss, '3 / 100');
  assert.equal(rows[0]!.delivery, '20 ms / 40 ms');
  assert.equal(rows[0]!.room, '1,000');
  assert.match(renderMarkdownTable(rows, false), /a\\\|b/);
});
