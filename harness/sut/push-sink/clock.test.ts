import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nowUs } from './clock.ts';

test('nowUs reads the same clock as process.hrtime (what senders put in bench_t)', () => {
  for (let i = 0; i < 5; i++) {
    const before = Number(process.hrtime.bigint() / 1000n);
    const now = nowUs();
    const after = Number(process.hrtime.bigint() / 1000n);
    // A few µs of slack: the offset between the two readings of one clock is measured once, at load.
    assert.ok(now >= before - 10 && now <= after + 10, `${before} ≤ ${now} ≤ ${after}`);
  }
});
