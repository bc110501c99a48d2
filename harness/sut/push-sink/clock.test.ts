import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nowUs, SINK_CLOCK_SKEW_ENV, sinkClockSkewUs } from './clock.ts';
import { handleControl } from './control-api.ts';
import type { SinkContext } from './sink-context.ts';

test('nowUs reads the same clock as process.hrtime (what senders put in bench_t)', () => {
  for (let i = 0; i < 5; i++) {
    const before = Number(process.hrtime.bigint() / 1000n);
    const now = nowUs();
    const after = Number(process.hrtime.bigint() / 1000n);
    // A few µs of slack: the offset between the two readings of one clock is measured once, at load.
    assert.ok(now >= before - 10 && now <= after + 10, `${before} ≤ ${now} ≤ ${after}`);
  }
});

test('the test-only sink clock skew: unset 0, milliseconds to µs, a bad value refused', () => {
  assert.equal(sinkClockSkewUs({}), 0);
  assert.equal(sinkClockSkewUs({ [SINK_CLOCK_SKEW_ENV]: '' }), 0);
  assert.equal(sinkClockSkewUs({ [SINK_CLOCK_SKEW_ENV]: '-150' }), -150_000);
  assert.equal(sinkClockSkewUs({ [SINK_CLOCK_SKEW_ENV]: '0.5' }), 500);
  assert.throws(() => sinkClockSkewUs({ [SINK_CLOCK_SKEW_ENV]: 'soon' }), /is not a number/);
});

test('GET /__sink/clock answers the sink clock itself, without the primary', async () => {
  const forward = () => Promise.reject(new Error('the clock is not forwarded'));
  const before = nowUs();
  const reply = await handleControl(
    {} as SinkContext,
    'GET',
    new URL('https://sink/__sink/clock'),
    Buffer.alloc(0),
    forward,
  );
  const after = nowUs();
  assert.equal(reply.status, 200);
  const { nowUs: answered } = JSON.parse(String(reply.body)) as { nowUs: number };
  assert.ok(answered >= before && answered <= after, `${before} ≤ ${answered} ≤ ${after}`);
});
