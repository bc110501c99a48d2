import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { monoUs } from '../../common/mono-clock.ts';
import { parseWorkload } from '../workload.ts';
import { constantArrivals, countArrivals, rampingArrivals } from './arrival-schedule.ts';
import { type ExecutorConfig, planExecutor, runExecutor } from './index.ts';

const publishers = (p: Record<string, unknown>) =>
  parseWorkload({ subscribers: { count: 1 }, publishers: p }).publishers as ExecutorConfig;

test('constant rate: fractional, drift-free spacing from t=0 (k6: 3/s → 0, 333.3, 666.7 ms)', () => {
  const times = [...constantArrivals(3 / 1000, 1000)];
  assert.equal(times.length, 3);
  assert.deepEqual(
    times.map((t) => Math.round(t * 10) / 10),
    [0, 333.3, 666.7],
  );
  // 10,000 arrivals at 7/s: the last one is exactly where i/rate says, no accumulated error.
  const many = [...constantArrivals(7 / 1000, 10_000_000 / 7)];
  assert.equal(many.length, 10_000);
  assert.equal(many[9999], 9999 / (7 / 1000));
});

test('ramping rate: iteration i starts when the integral of the rate reaches i', () => {
  // 0 → 10/s over 10 s: 50 iterations in total; the n-th at sqrt(2n·D/r1) = sqrt(2n) s.
  const times = [...rampingArrivals(0, [{ durationMs: 10_000, target: 10 / 1000 }])];
  assert.equal(times.length, 50);
  for (const n of [1, 8, 18, 49]) assert.ok(Math.abs(times[n]! - Math.sqrt(2 * n) * 1000) < 1e-6, `n=${n}`);
  // Hold 10/s for 2 s after a ramp 10 → 20/s over 1 s (15 iterations) → 15 + 20 = 35.
  const held = [
    ...rampingArrivals(10 / 1000, [
      { durationMs: 1000, target: 20 / 1000 },
      { durationMs: 2000, target: 20 / 1000 },
    ]),
  ];
  assert.equal(held.length, 55);
  assert.ok(
    held.every((t, i) => i === 0 || t > held[i - 1]!),
    'strictly increasing',
  );
  // Ramp down 20 → 0 over 2 s: 20 iterations, all inside the stage.
  assert.equal(countArrivals(rampingArrivals(20 / 1000, [{ durationMs: 2000, target: 0 }])), 20);
});

test('plans describe executors the way k6 does', () => {
  const plan = planExecutor(
    publishers({ executor: 'constant-arrival-rate', rate: 10, duration: '30s', preAllocatedVUs: 10, maxVUs: 100 }),
  );
  assert.equal(plan.iterations, 300);
  assert.equal(plan.description, '10.00 iterations/s for 30s (maxVUs: 10-100, gracefulStop: 30s)');
  assert.equal(
    planExecutor(publishers({ executor: 'per-vu-iterations', vus: 5, iterations: 10 })).description,
    '10 iterations for each of 5 VUs (maxDuration: 10m0s, gracefulStop: 30s)',
  );
  assert.equal(
    planExecutor(publishers({ executor: 'constant-vus', vus: 10, duration: '1m' })).description,
    '10 looping VUs for 1m0s (gracefulStop: 30s)',
  );
  const ramping = planExecutor(
    publishers({
      executor: 'ramping-arrival-rate',
      startRate: 0,
      preAllocatedVUs: 5,
      stages: [
        { duration: '10s', target: 50 },
        { duration: '20s', target: 50 },
      ],
    }),
  );
  assert.equal(ramping.iterations, 250 + 1000);
  assert.equal(ramping.description, 'Up to 50.00 iterations/s for 30s over 2 stages (maxVUs: 5, gracefulStop: 30s)');
});

/** Runs an executor in-process against a fake iteration that takes `busyMs`. */
async function drive(config: ExecutorConfig, busyMs: number) {
  const started: number[] = [];
  const intended: number[] = [];
  let dropped = 0;
  let concurrent = 0;
  let peak = 0;
  const t0 = monoUs();
  await runExecutor(config, {
    async iterate(intendedUs) {
      started.push(monoUs() - t0);
      intended.push(intendedUs - t0);
      concurrent++;
      peak = Math.max(peak, concurrent);
      await sleep(busyMs);
      concurrent--;
    },
    dropped: () => dropped++,
    signal: new AbortController().signal,
  });
  return { started, intended, dropped, peak, elapsedMs: (monoUs() - t0) / 1000 };
}

test('constant-arrival-rate keeps the schedule and never starts early', async () => {
  const r = await drive(
    publishers({ executor: 'constant-arrival-rate', rate: 50, duration: '1s', preAllocatedVUs: 5 }),
    5,
  );
  assert.equal(r.started.length, 50);
  assert.equal(r.dropped, 0);
  for (const [i, t] of r.intended.entries()) assert.ok(Math.abs(t - i * 20_000) < 2000, `intended time of ${i}`);
  // Each starts at or after its intended time (timers are late, never early).
  for (const [i, s] of r.started.entries()) assert.ok(s >= r.intended[i]! - 1, `iteration ${i} started early`);
});

test('arrival-rate counts dropped_iterations when maxVUs are busy (k6 meaning)', async () => {
  // 100/s for 1 s = 100 due; each takes 200 ms; 5 VUs → at most 5 running; roughly 5 per 200 ms start.
  const r = await drive(
    publishers({ executor: 'constant-arrival-rate', rate: 100, duration: '1s', preAllocatedVUs: 2, maxVUs: 5 }),
    200,
  );
  assert.equal(r.started.length + r.dropped, 100, 'every due iteration is either started or dropped');
  assert.ok(r.peak <= 5, `peak concurrency ${r.peak} ≤ maxVUs`);
  assert.ok(r.started.length >= 20 && r.started.length <= 40, `started ${r.started.length}`);
  assert.ok(r.dropped >= 60, `dropped ${r.dropped}`);
});

test('per-vu-iterations runs exactly vus × iterations; shared-iterations exactly iterations', async () => {
  const perVu = await drive(publishers({ executor: 'per-vu-iterations', vus: 3, iterations: 4 }), 2);
  assert.equal(perVu.started.length, 12);
  assert.ok(perVu.elapsedMs < 1000, 'ends with its last iteration, not at maxDuration');
  assert.equal(perVu.peak, 3);
  const shared = await drive(publishers({ executor: 'shared-iterations', vus: 4, iterations: 10 }), 2);
  assert.equal(shared.started.length, 10);
});

test('constant-vus loops for the duration with at most vus running; intended = actual start', async () => {
  const r = await drive(publishers({ executor: 'constant-vus', vus: 2, duration: '300ms' }), 20);
  assert.ok(r.peak <= 2);
  assert.ok(r.started.length >= 10 && r.started.length <= 32, `iterations ${r.started.length}`);
  for (const [i, s] of r.started.entries()) assert.ok(Math.abs(s - r.intended[i]!) < 2000);
});

test('gracefulStop bounds how long the end waits for slow iterations', async () => {
  const r = await drive(
    publishers({ executor: 'constant-vus', vus: 1, duration: '100ms', gracefulStop: '50ms' }),
    1000,
  );
  assert.ok(r.elapsedMs < 600, `ended after ${r.elapsedMs} ms, not after the 1 s iteration`);
});

test('ramping-vus follows its stages', async () => {
  const r = await drive(
    publishers({
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: '200ms', target: 4 },
        { duration: '200ms', target: 4 },
      ],
    }),
    20,
  );
  assert.equal(r.peak, 4);
  const early = r.started.filter((t) => t < 100_000).length;
  const late = r.started.filter((t) => t > 250_000 && t < 350_000).length;
  assert.ok(late > early, `more iterations at full ramp (${late}) than early (${early})`);
});
