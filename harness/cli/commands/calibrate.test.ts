import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePower, parseSlowdown } from './calibrate.ts';

const badInput = (pattern: RegExp) => (error: Error & { exitCode?: number }) =>
  error.exitCode === 2 && pattern.test(error.message) && !error.message.includes('\n');

test('--slowdown: a percentage of p50 or a duration', () => {
  assert.deepEqual(parseSlowdown('15%'), { kind: 'percent', fraction: 0.15 });
  assert.deepEqual(parseSlowdown('1.2ms'), { kind: 'ms', ms: 1.2 });
  assert.deepEqual(parseSlowdown('2'), { kind: 'ms', ms: 2 });
  for (const text of ['0%', '0ms', 'fast', '-5%']) assert.throws(() => parseSlowdown(text), badInput(/--slowdown/));
});

test('--power: strictly between 0 and 1, 0.95 by default', () => {
  assert.equal(parsePower(undefined), 0.95);
  assert.equal(parsePower('0.9'), 0.9);
  assert.equal(parsePower('80%'), 0.8);
  for (const text of ['0', '1', '150%', 'x']) assert.throws(() => parsePower(text), badInput(/--power/));
});
