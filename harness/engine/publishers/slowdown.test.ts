/**
 * The injected slowdown's hold: never early, and close enough to its due time that +1.2 ms on an ~8 ms p50
 * stays +1.2 ms (a timer alone is ~1 ms coarse).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { monoUs } from '../../common/mono-clock.ts';
import { holdUntil } from './slowdown.ts';

/** Overshoots (µs past the due time) of `count` holds of `holdUs`, one after another. */
async function overshoots(count: number, holdUs: number, concurrent = 1): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i += concurrent) {
    const start = monoUs();
    await Promise.all(
      Array.from({ length: concurrent }, async (_, j) => {
        // Staggered due times within a batch, as a VU pool's iterations are.
        const dueUs = start + holdUs + j * 100;
        await holdUntil(dueUs);
        out.push(monoUs() - dueUs);
      }),
    );
  }
  return out;
}

function describe(values: number[]): string {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return `mean ${(mean / 1000).toFixed(3)} ms, max ${(Math.max(...values) / 1000).toFixed(3)} ms over ${values.length}`;
}

test('200 holds of 1.5 ms: none early, mean overshoot < 0.3 ms', async (t) => {
  const values = await overshoots(200, 1500);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  assert.ok(Math.min(...values) >= 0, `a hold ended early: ${Math.min(...values)} µs`);
  assert.ok(mean < 300, describe(values));
  t.diagnostic(`1.5 ms holds, overshoot: ${describe(values)}`);
});

test('holds of 5 ms (a timer, then yielding) and of 250 µs (yielding only): none early, mean overshoot < 0.3 ms', async () => {
  for (const holdUs of [5000, 250]) {
    const values = await overshoots(100, holdUs);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    assert.ok(Math.min(...values) >= 0, `${holdUs} µs: a hold ended early`);
    assert.ok(mean < 300, `${holdUs} µs: ${describe(values)}`);
  }
});

test('concurrent holds (10 VUs at once) do not wait for each other: none early, median overshoot < 0.3 ms', async () => {
  const started = monoUs();
  const values = await overshoots(200, 1500, 10);
  const elapsedUs = monoUs() - started;
  assert.ok(Math.min(...values) >= 0, 'a hold ended early');
  // One stall of the process (a preemption on a shared core) delays every hold of its batch at once, so the
  // mean of correlated holds measures the machine; the median measures the hold.
  const median = [...values].sort((a, b) => a - b)[values.length >> 1]!;
  assert.ok(median < 300, `median ${median} µs; ${describe(values)}`);
  // 20 batches of 1.5 ms (+ 0.9 ms stagger): held one after another they would take 10× as long.
  assert.ok(elapsedUs < 20 * 10 * 1500, `${elapsedUs} µs for 20 batches`);
});

test('a due time already past resolves at once; an abort ends a hold early', async () => {
  const before = monoUs();
  await holdUntil(before - 5000);
  assert.ok(monoUs() - before < 5000);

  const stop = new AbortController();
  setTimeout(() => stop.abort(), 20);
  const started = monoUs();
  await holdUntil(started + 5_000_000, stop.signal);
  const heldUs = monoUs() - started;
  assert.ok(heldUs >= 15_000 && heldUs < 1_000_000, `ended ${heldUs} µs in, at the abort`);
});
