import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../common/seeded-random.ts';
import { judgeShift, pairedShift } from '../gate/index.ts';
import { detectableEffect, EFFECT_GRID, minimumPairsFor } from './detectable-effect.ts';

const SETTINGS = { alpha: 0.05, metrics: 4, effect: 0.05, power: 0.95, draws: 500 };

/** Normal noise with standard deviation sd (Box–Muller, seeded). */
function noise(count: number, sd: number, seed = 7): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const u = 1 - random();
    return sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  });
}

test('8 pairs is the least that can decide 4 metrics at α 0.05', () => {
  assert.equal(minimumPairsFor(0.05, 4), 8);
  assert.ok(minimumPairsFor(0.05, 1) < 8);
});

test('without noise, the minimum detectable effect is the effect size itself (on the grid)', () => {
  for (const effect of [0.05, 0.1, 0.125]) {
    const result = detectableEffect([0, 0, 0, 0, 0, 0, 0, 0], 10, { ...SETTINGS, effect });
    assert.equal(result.canDecide, true);
    assert.equal(result.effect, effect);
    assert.equal(result.aaPassRate, 1, 'an unchanged build always passes');
    assert.equal(result.aaRegressionRate, 0);
  }
});

test('a constant A/A offset is centred away: what is resampled is the noise', () => {
  const result = detectableEffect([0.2, 0.2, 0.2, 0.2], 10, SETTINGS);
  assert.equal(result.effect, 0.05);
});

test('fewer pairs than the minimum cannot decide anything', () => {
  const result = detectableEffect(noise(10, 0.05), 5, SETTINGS);
  assert.equal(result.canDecide, false);
  assert.equal(result.minimumPairs, 8);
  assert.equal(result.effect, null);
});

test('more noise, larger minimum detectable effect; more pairs, smaller', () => {
  const mde = (sd: number, pairs: number) => detectableEffect(noise(20, sd), pairs, SETTINGS).effect ?? Infinity;
  const small = mde(0.02, 10);
  const medium = mde(0.08, 10);
  const large = mde(0.2, 10);
  assert.ok(small > 0.05 && small < medium && medium < large, `${small} < ${medium} < ${large}`);
  assert.ok(mde(0.08, 20) < medium, 'more pairs detect less');
});

test('fewer than 3 A/A differences are no noise estimate: no simulation', () => {
  const result = detectableEffect([0.01, -0.02], 10, SETTINGS);
  assert.equal(result.canDecide, false);
  assert.equal(result.noisePairs, 2);
  assert.equal(result.effect, null);
});

test('the result is seeded: the same data give the same answer', () => {
  const data = noise(12, 0.1);
  assert.deepEqual(detectableEffect(data, 10, SETTINGS), detectableEffect(data, 10, SETTINGS));
});

test('shifting a judged draw equals judging the shifted draw (what the simulation relies on)', () => {
  const random = mulberry32(3);
  const confidence = 1 - 0.05 / 4;
  for (let trial = 0; trial < 50; trial++) {
    const sample = noise(10, 0.1, trial + 1);
    const by = Math.log1p(EFFECT_GRID[Math.floor(random() * EFFECT_GRID.length)]!);
    const direct = pairedShift(
      sample.map((d) => d + by),
      confidence,
    );
    const base = pairedShift(sample, confidence);
    const moved = { estimate: base.estimate + by, low: base.low! + by, high: base.high! + by };
    assert.ok(Math.abs(direct.estimate - moved.estimate) < 1e-12);
    assert.ok(Math.abs(direct.low! - moved.low) < 1e-12 && Math.abs(direct.high! - moved.high) < 1e-12);
    assert.equal(judgeShift(direct, 0.05), judgeShift(moved, 0.05));
  }
});
