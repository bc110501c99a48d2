import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { RunWriter } from '../results/files/index.ts';
import { samplePoint } from '../results/files/testing.ts';
import {
  collectSeries,
  compareRuns,
  compareSeries,
  DEFAULT_SERIES,
  mannWhitneyPValue,
  median,
  type SeriesSpec,
} from './baseline.ts';

/** Deterministic normal samples (mulberry32 + Box-Muller), so the verdicts below are reproducible. */
function normal(seed: number, n: number, mean: number, sd: number): number[] {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return Array.from(
    { length: n },
    () => mean + sd * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  );
}

const P99: SeriesSpec = DEFAULT_SERIES[0]!;
const RATE: SeriesSpec = DEFAULT_SERIES[2]!;
const ids = { baselineRunId: 'base', currentRunId: 'cur' };

function one(spec: SeriesSpec, baseline: number[], current: number[], options = {}) {
  const comparison = compareSeries({ [spec.id]: baseline }, { [spec.id]: current }, ids, {
    series: [spec],
    ...options,
  });
  const [series] = comparison.series;
  assert.ok(series);
  return { comparison, series };
}

describe('Mann-Whitney U p-value (two-sided, normal approximation, tie-corrected)', () => {
  test('scipy.stats.mannwhitneyu docs example (males vs females): U = 17, p = 0.0864 without continuity correction', () => {
    // scipy documents p = 0.1113 for method="asymptotic" with its default continuity correction;
    // without it z = (17 − 10) / √(5·4·10/12) = 1.7146 → p = 0.086411 (= R kruskal.test chi-squared 2.94).
    const p = mannWhitneyPValue([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    assert.ok(Math.abs(p - 0.086411) < 1e-6, String(p));
  });

  test("R's wilcox.test example (Hollander & Wolfe permeability data): W = 35, p = 0.2207 (exact=FALSE, correct=FALSE)", () => {
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    assert.ok(Math.abs(mannWhitneyPValue(x, y) - 0.220671) < 1e-6);
    assert.ok(Math.abs(mannWhitneyPValue(y, x) - 0.220671) < 1e-6, 'symmetric');
  });

  test('ties: the tie-corrected variance (U = 3.5, z = −2.8874, p = 0.003885)', () => {
    const p = mannWhitneyPValue([1, 2, 2, 3, 3, 3, 4], [3, 4, 4, 5, 5, 5, 6, 6]);
    assert.ok(Math.abs(p - 0.003885) < 1e-6, String(p));
  });

  test('identical samples → p = 1, also when every value is the same', () => {
    const a = normal(1, 30, 10, 2);
    assert.equal(mannWhitneyPValue(a, [...a]), 1);
    assert.equal(mannWhitneyPValue([5, 5, 5], [5, 5]), 1);
    assert.throws(() => mannWhitneyPValue([], [1]));
  });
});

describe('compareSeries verdicts', () => {
  test('identical series → ~ (p = 1), no regression', () => {
    const a = normal(7, 60, 12, 2);
    const { series, comparison } = one(P99, a, [...a]);
    assert.equal(series.verdict, '~');
    assert.equal(series.pValue, 1);
    assert.equal(series.relativeChange, 0);
    assert.equal(comparison.regressions, 0);
  });

  test('clearly shifted latency → worse, significant, regression', () => {
    const { series, comparison } = one(P99, normal(1, 60, 10, 1), normal(2, 60, 15, 1));
    assert.equal(series.verdict, 'worse');
    assert.ok(series.significant && (series.pValue ?? 1) < 1e-10, String(series.pValue));
    assert.ok(Math.abs((series.relativeChange ?? 0) - 0.5) < 0.08, String(series.relativeChange));
    assert.equal(series.regression, true);
    assert.equal(comparison.regressions, 1);
  });

  test('clearly lower latency → better, not a regression', () => {
    const { series } = one(P99, normal(1, 60, 10, 1), normal(2, 60, 7, 1));
    assert.deepEqual([series.verdict, series.regression], ['better', false]);
  });

  test('direction follows the metric: fewer messages per second is worse', () => {
    const { series } = one(RATE, normal(3, 60, 2000, 40), normal(4, 60, 1500, 40));
    assert.deepEqual([series.verdict, series.regression], ['worse', true]);
    const up = one(RATE, normal(3, 60, 2000, 40), normal(4, 60, 2500, 40)).series;
    assert.deepEqual([up.verdict, up.regression], ['better', false]);
  });

  test('noisy small shift → ~ (not significant)', () => {
    const { series } = one(P99, normal(11, 30, 10, 3), normal(12, 30, 10.3, 3));
    assert.equal(series.verdict, '~');
    assert.equal(series.significant, false);
    assert.ok((series.pValue ?? 0) > 0.05);
  });

  test('significant but within tolerance → ~, flagged significant', () => {
    const { series } = one(P99, normal(21, 3000, 10, 0.5), normal(22, 3000, 10.2, 0.5));
    assert.equal(series.significant, true);
    assert.ok(Math.abs(series.relativeChange ?? 1) < 0.05);
    assert.equal(series.verdict, '~');
    // …and beyond a tighter tolerance it is worse.
    assert.equal(
      one(P99, normal(21, 3000, 10, 0.5), normal(22, 3000, 10.2, 0.5), { tolerance: 0.01 }).series.verdict,
      'worse',
    );
  });

  test('too few samples or one side missing → ? with a note, never a regression', () => {
    const few = one(P99, normal(1, 5, 10, 1), normal(2, 60, 50, 1)).series;
    assert.deepEqual([few.verdict, few.regression, few.pValue], ['?', false, null]);
    assert.equal(few.note, 'baseline has 5 samples (< 8)');
    const missing = one(P99, [], normal(2, 60, 50, 1)).series;
    assert.equal(missing.verdict, '?');
    assert.equal(missing.baseline.median, null);
    const none = compareSeries({}, {}, ids);
    assert.deepEqual(none.series, []);
  });

  test('a zero baseline median: any change is beyond tolerance', () => {
    const spec: SeriesSpec = { id: 'errors /s', metric: 'errors', stat: 'perSecond', better: 'lower', unit: '/s' };
    const { series } = one(spec, new Array(30).fill(0), new Array(30).fill(3));
    assert.equal(series.relativeChange, null);
    assert.deepEqual([series.verdict, series.regression], ['worse', true]);
  });
});

describe('per-second series from points', () => {
  test('trend seconds without samples are skipped; an absent counter second is 0; trim drops both ends', () => {
    const points = [0, 1, 2, 3, 4, 5].map((t) => samplePoint(t, 10 + t, 100));
    const empty = points[2]!;
    empty.trends.delivery_latency!.count = 0;
    delete points[3]!.counters.messages_delivered;
    const series = collectSeries(points);
    assert.deepEqual(series['delivery_latency mean'], [10, 11, 13, 14, 15]);
    assert.deepEqual(series['messages_delivered /s'], [100, 100, 100, 0, 100, 100]);
    assert.deepEqual(series['push_e2e_latency p99'], []);
    assert.deepEqual(collectSeries(points, DEFAULT_SERIES, 1)['delivery_latency mean'], [11, 13, 14]);
  });

  test('median', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.equal(median([]), null);
  });

  test('compareRuns reads two runs from their timeseries.ndjson', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'cb-baseline-'));
    try {
      const write = async (runId: string, latencies: number[]) => {
        const writer = await RunWriter.open({ runId, root });
        for (const [t, ms] of latencies.entries()) writer.appendPoint(samplePoint(t, ms, 2000));
        await writer.close();
        return { dir: writer.dir, runId };
      };
      const base = await write('base', normal(31, 40, 5, 0.5));
      const slow = await write('slow', normal(32, 40, 8, 0.5));
      const comparison = await compareRuns(base, slow);
      const byId = Object.fromEntries(comparison.series.map((s) => [s.id, s]));
      assert.equal(byId['delivery_latency p99']?.verdict, 'worse');
      assert.equal(byId['delivery_latency mean']?.verdict, 'worse');
      assert.equal(byId['messages_delivered /s']?.verdict, '~');
      assert.equal(byId['push_e2e_latency p99'], undefined);
      assert.equal(comparison.regressions, 2);
      assert.deepEqual([comparison.baselineRunId, comparison.currentRunId], ['base', 'slow']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
