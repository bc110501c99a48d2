import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build } from 'hdr-histogram-js';
import { histogramFigures } from './histogram-pass.ts';
import { mulberry32 } from './seeded-random.ts';

const PERCENTILES = [0, 1, 50, 90, 95, 99, 99.9, 99.99, 100];

test('histogramFigures equals the library: mean to the last bit, every percentile', () => {
  const random = mulberry32(17);
  for (const [values, spread, lowestDiscernibleValue, digits] of [
    [1, 1, 1, 3],
    [7, 10, 1, 3],
    [5_000, 1e3, 1, 3],
    [50_000, 1e6, 1, 3],
    [200_000, 3e9, 1, 3],
    [100_000, 2 ** 40, 1, 2],
    [100_000, 1e9, 1000, 3],
    [20_000, 1e7, 1, 5],
  ] as const) {
    const h = build({
      bitBucketSize: 32,
      autoResize: true,
      lowestDiscernibleValue,
      highestTrackableValue: 2 * lowestDiscernibleValue,
      numberOfSignificantValueDigits: digits,
      useWebAssembly: false,
    });
    for (let i = 0; i < values; i++) h.recordValue(Math.floor(random() ** 3 * spread));
    const { mean, values: got } = histogramFigures(h, PERCENTILES);
    assert.equal(mean, h.mean, `mean of ${values} values up to ${spread}`);
    assert.deepEqual(
      got,
      PERCENTILES.map((p) => h.getValueAtPercentile(p)),
      `percentiles of ${values} values up to ${spread}`,
    );
  }
});

test('histogramFigures of an empty histogram: all 0, like the library', () => {
  const h = build({ bitBucketSize: 32, autoResize: true, numberOfSignificantValueDigits: 3, useWebAssembly: false });
  assert.deepEqual(histogramFigures(h, [50, 99]), { mean: 0, values: [0, 0] });
  assert.equal(h.getValueAtPercentile(50), 0);
});
