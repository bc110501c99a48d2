import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFaultProfile } from './config.ts';
import { drawLatencyMs, FaultEngine, seededRandom } from './faults.ts';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

test('log-normal latency lands on its configured p50 and p99', () => {
  const random = seededRandom('latency');
  const latency = { p50Ms: 30, p99Ms: 250, stallProbability: 0, stallMs: [0, 0] as [number, number] };
  const samples = Array.from({ length: 50_000 }, () => drawLatencyMs(latency, random)).sort((a, b) => a - b);
  assert.ok(Math.abs(percentile(samples, 50) - 30) < 2, `p50 ${percentile(samples, 50)}`);
  assert.ok(Math.abs(percentile(samples, 99) - 250) < 25, `p99 ${percentile(samples, 99)}`);
});

test('stalls happen at their probability, inside their range', () => {
  const random = seededRandom('stalls');
  const latency = { p50Ms: 1, p99Ms: 2, stallProbability: 0.01, stallMs: [2000, 3000] as [number, number] };
  const samples = Array.from({ length: 20_000 }, () => drawLatencyMs(latency, random));
  const stalls = samples.filter((s) => s >= 2000);
  assert.ok(stalls.length > 140 && stalls.length < 260, `${stalls.length} stalls`);
  assert.ok(stalls.every((s) => s <= 3000));
});

test('the same seed draws the same sequence', () => {
  const a = seededRandom('x');
  const b = seededRandom('x');
  assert.deepEqual([a(), a(), a()], [b(), b(), b()]);
});

test('error mixes inject each status at its probability, with Retry-After from the profile', () => {
  const profile = parseFaultProfile({ errors: { fcm: { '503': 0.1, '500': 0.05 } }, retryAfterSeconds: { '503': 7 } });
  const engine = new FaultEngine(profile, 0, 'seed', 0);
  const counts: Record<number, number> = {};
  for (let i = 0; i < 20_000; i++) {
    const fault = engine.inject('fcm', i);
    if (fault) {
      counts[fault.status] = (counts[fault.status] ?? 0) + 1;
      assert.equal(fault.retryAfterSeconds, fault.status === 503 ? 7 : undefined);
    }
    assert.equal(engine.inject('webpush', i), undefined);
  }
  assert.ok(Math.abs((counts[503] ?? 0) - 2000) < 200, `503: ${counts[503]}`);
  assert.ok(Math.abs((counts[500] ?? 0) - 1000) < 150, `500: ${counts[500]}`);
});

test('timeline windows start and end relative to when the profile was applied', () => {
  const profile = parseFaultProfile({
    windows: [{ startSeconds: 10, durationSeconds: 5, provider: 'webpush', status: 503, retryAfterSeconds: 3 }],
  });
  const applied = 1_000_000_000;
  const engine = new FaultEngine(profile, applied, 'seed', 0);
  const at = (s: number) => applied + s * 1e6;
  assert.equal(engine.inject('webpush', at(9.9)), undefined);
  assert.deepEqual(engine.inject('webpush', at(10)), { status: 503, retryAfterSeconds: 3, cause: 'window' });
  assert.equal(engine.inject('fcm', at(12)), undefined, 'other provider');
  assert.equal(engine.inject('webpush', at(15)), undefined);
});
