import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAbInput, metricsJudged } from './ab.ts';
import { slowdownMsFromPercent } from './calibrate.ts';

const side = (overrides: string[] = [], env: Record<string, string> = {}) => ({ overrides, env });

test('pairs must be a whole number from 1 to 1000 (exit 2)', () => {
  for (const pairs of [0, -1, 1.5, 1001, Number.NaN]) {
    assert.throws(
      () => checkAbInput({ pairs, a: side(), b: side(['x=1']) }),
      (error: Error & { exitCode?: number }) => error.exitCode === 2 && /--pairs/.test(error.message),
      String(pairs),
    );
  }
  assert.deepEqual(checkAbInput({ pairs: 1000, a: side(), b: side(['x=1']) }), []);
});

test('the same overrides and environment on both sides is an A/A run: a warning, not an error', () => {
  const same = checkAbInput({ pairs: 8, a: side(['a=1', 'b=2'], { X: '1' }), b: side(['b=2', 'a=1'], { X: '1' }) });
  assert.match(same.join(), /A and B are identical: an A\/A run/);
  assert.deepEqual(checkAbInput({ pairs: 8, a: side([], { X: '1' }), b: side([], { X: '2' }) }), []);
});

test('a WebSocket run is judged on 4 metrics, a push flood on 3', () => {
  assert.equal(metricsJudged('websocket'), 4);
  assert.equal(metricsJudged('push'), 3);
});

test("a percentage slowdown becomes ms of A's p50, rounded to 0.1 ms, at least 0.1 ms", () => {
  assert.equal(slowdownMsFromPercent(0.15, 12.3), 1.8);
  assert.equal(slowdownMsFromPercent(0.15, 8), 1.2);
  assert.equal(slowdownMsFromPercent(0.05, 0.4), 0.1);
});
