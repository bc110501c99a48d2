import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UserError } from '../common/errors.ts';
import { mulberry32 } from '../common/seeded-random.ts';
import { compareRunValues, type MetricComparison, type RunComparison } from './compare-runs.ts';
import { RUN_METRICS, type RunValues } from './run-values.ts';
import { sampleRunValues } from './testing.ts';

const P50 = 'delivery_latency p50';
const P99 = 'delivery_latency p99';
const MEAN = 'delivery_latency mean';
const DELIVERED = 'messages_delivered /s';
const DELIVERY_METRICS = [P50, P99, MEAN, DELIVERED];
/** A delivery run's typical values: ms for the latencies, messages per second for throughput. */
const TYPICAL: Record<string, number> = { [P50]: 4, [P99]: 12, [MEAN]: 5, [DELIVERED]: 2000 };

/** A run reduced to its values; metrics not given are absent (null), as pushes are in a delivery scenario. */
function run(runId: string, values: Record<string, number | null>, overrides: Partial<RunValues> = {}): RunValues {
  return sampleRunValues(runId, {
    values: Object.fromEntries(RUN_METRICS.map((spec) => [spec.id, values[spec.id] ?? null])),
    ...overrides,
  });
}

/**
 * k runs whose every delivery metric is its typical value × factor(i, metric) — latencies multiplied by
 * `slowdown`, throughput divided by it (a slower system delivers less).
 */
function runs(
  prefix: string,
  k: number,
  factor: (i: number, metric: string) => number,
  slowdown: Partial<Record<string, number>> = {},
): RunValues[] {
  return Array.from({ length: k }, (_, i) =>
    run(
      `${prefix}${i + 1}`,
      Object.fromEntries(
        DELIVERY_METRICS.map((id) => {
          const s = slowdown[id] ?? 1;
          const value = TYPICAL[id]! * factor(i, id);
          return [id, id === DELIVERED ? value / s : value * s];
        }),
      ),
    ),
  );
}

/** A fixed pattern of ±spread, different per metric, mean zero: noise without randomness. */
const wobble =
  (spread: number) =>
  (i: number, metric: string): number =>
    1 + spread * Math.sin(1.7 * i + DELIVERY_METRICS.indexOf(metric));

function metric(comparison: RunComparison, id: string): MetricComparison {
  const found = comparison.metrics.find((m) => m.id === id);
  assert.ok(found, `${id} compared`);
  return found;
}

const isUserError = (pattern: RegExp) => (error: unknown) =>
  error instanceof UserError && error.exitCode === 2 && pattern.test(error.message);

describe('compareRunValues: known answers', () => {
  test('identical sides: pass when the spread is tiny, inconclusive when it is not — never regression', () => {
    // Independent: the very same values on both sides.
    for (const spread of [0.005, 0.2]) {
      const comparison = compareRunValues(runs('a', 8, wobble(spread)), runs('b', 8, wobble(spread)));
      assert.equal(comparison.design, 'independent');
      assert.equal(comparison.verdict, spread < 0.01 ? 'pass' : 'inconclusive', `±${spread}: ${comparison.summary}`);
      assert.ok(comparison.metrics.every((m) => m.verdict !== 'regression'));
    }
    // Paired: the same build, each run with its own noise (the wobble's phase differs between the sides).
    for (const spread of [0.005, 0.2]) {
      const noise = wobble(spread);
      const comparison = compareRunValues(
        runs('a', 8, noise),
        runs('b', 8, (i, id) => noise(i + 3, id)),
        { paired: true },
      );
      assert.equal(comparison.design, 'paired');
      assert.equal(comparison.verdict, spread < 0.01 ? 'pass' : 'inconclusive', `±${spread}: ${comparison.summary}`);
      assert.ok(comparison.metrics.every((m) => m.verdict !== 'regression'));
    }
    const quiet = compareRunValues(runs('a', 8, wobble(0.005)), runs('b', 8, wobble(0.005)));
    assert.equal(quiet.summary, 'no regression of 5 % or more in 4 metrics');
    assert.match(metric(quiet, P50).reason, /^[+−±]0\.0 % \[.*\]: any regression is below 5 %$/);
    const loud = compareRunValues(runs('a', 8, wobble(0.2)), runs('b', 8, wobble(0.2)));
    assert.match(loud.summary, /^inconclusive at 5 %: 4 of 4 metrics \(delivery_latency p50, /);
    assert.match(metric(loud, P50).reason, /: too wide to decide at 5 %$/);
  });

  test('+20 % on p50 over 8 interleaved pairs of low noise: regression, estimate ≈ +20 %, interval around it', () => {
    const noise = wobble(0.01);
    const baseline = runs('a', 8, noise);
    const current = runs('b', 8, (i, id) => noise(i, id) * (1 + 0.004 * Math.cos(i + 2)), { [P50]: 1.2 });
    const comparison = compareRunValues(baseline, current, { paired: true });
    assert.equal(comparison.design, 'paired');
    assert.equal(comparison.verdict, 'regression');
    const p50 = metric(comparison, P50);
    assert.equal(p50.verdict, 'regression');
    assert.ok(p50.change, 'a change estimated');
    assert.ok(Math.abs(p50.change.estimate - 0.2) < 0.01, `estimate ${p50.change.estimate}`);
    assert.ok(p50.change.low !== null && p50.change.high !== null);
    assert.ok(p50.change.low <= 0.2 && 0.2 <= p50.change.high, `[${p50.change.low}, ${p50.change.high}]`);
    assert.match(p50.reason, /^\+(19|20)\.\d % \[\+\d+\.\d %, \+\d+\.\d %\]: worse, by 5 % or more$/);
    for (const id of [P99, MEAN, DELIVERED]) assert.equal(metric(comparison, id).verdict, 'pass', id);
    assert.match(comparison.summary, /^regression: delivery_latency p50 \+(19|20)\.\d %$/);
    assert.deepEqual(comparison.baselineRuns, ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8']);
    assert.deepEqual(comparison.currentRuns, ['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8']);
    assert.deepEqual(
      metric(comparison, P50).baseline.values,
      baseline.map((r) => r.values[P50]),
    );
  });

  test('+5 % under ±4 % noise: inconclusive or regression, never pass', () => {
    for (const paired of [true, false]) {
      for (let seed = 1; seed <= 20; seed++) {
        const random = mulberry32(seed);
        const noise = () => 1 + 0.04 * (2 * random() - 1);
        const baseline = runs('a', 8, noise);
        const current = runs('b', 8, noise, { [P50]: 1.05, [P99]: 1.05, [MEAN]: 1.05, [DELIVERED]: 1.05 });
        const comparison = compareRunValues(baseline, current, { paired });
        assert.notEqual(comparison.verdict, 'pass', `seed ${seed}, paired ${paired}: ${comparison.summary}`);
      }
    }
  });

  test('a higher-is-better metric (messages_delivered /s) dropping 20 % is a regression', () => {
    const noise = wobble(0.01);
    const comparison = compareRunValues(
      runs('a', 8, noise),
      runs('b', 8, (i, id) => noise(i, id) * (1 + 0.003 * Math.cos(i)), { [DELIVERED]: 1.25 }),
      { paired: true },
    );
    const delivered = metric(comparison, DELIVERED);
    assert.equal(delivered.better, 'higher');
    assert.equal(delivered.verdict, 'regression');
    assert.ok(delivered.change && Math.abs(delivered.change.estimate + 0.2) < 0.01, `${delivered.change?.estimate}`);
    assert.equal(comparison.verdict, 'regression');
    // The same change upwards is an improvement: it passes.
    const faster = compareRunValues(runs('a', 8, noise), runs('b', 8, noise, { [DELIVERED]: 0.8 }), { paired: true });
    assert.equal(metric(faster, DELIVERED).verdict, 'pass');
    assert.equal(metric(faster, DELIVERED).reason.startsWith('+25.0 %'), true, metric(faster, DELIVERED).reason);
  });

  test('too few pairs (3): inconclusive, the reason says how many it takes', () => {
    const comparison = compareRunValues(
      runs('a', 3, () => 1),
      runs('b', 3, () => 1, { [P50]: 2 }),
      {
        paired: true,
      },
    );
    assert.equal(comparison.verdict, 'inconclusive');
    for (const m of comparison.metrics) {
      assert.equal(m.verdict, 'inconclusive');
      assert.equal(m.reason, '3 pairs cannot reach 98.75 % confidence; it takes ≥ 8 pairs');
    }
    const independent = compareRunValues(
      runs('a', 2, () => 1),
      runs('b', 2, () => 1, { [P50]: 2 }),
    );
    assert.equal(independent.verdict, 'inconclusive');
    assert.match(
      metric(independent, P50).reason,
      /^2 \+ 2 runs cannot reach 98\.75 % confidence; it takes ≥ \d+ runs per side$/,
    );
  });

  test('Bonferroni: confidence 1 − α/m, m counting only the metrics measured', () => {
    const delivery = compareRunValues(runs('a', 8, wobble(0.01)), runs('b', 8, wobble(0.01)), { alpha: 0.05 });
    assert.deepEqual(
      delivery.metrics.map((m) => m.id),
      DELIVERY_METRICS,
    );
    for (const m of delivery.metrics) assert.equal(m.confidence, 1 - 0.05 / 4);
    const withPushes = (prefix: string) =>
      Array.from({ length: 8 }, (_, i) =>
        run(`${prefix}${i}`, Object.fromEntries(RUN_METRICS.map((spec) => [spec.id, 10 + i]))),
      );
    const all = compareRunValues(withPushes('a'), withPushes('b'), { alpha: 0.1 });
    assert.equal(all.metrics.length, RUN_METRICS.length);
    for (const m of all.metrics) assert.equal(m.confidence, 1 - 0.1 / 7);
    assert.equal(all.alpha, 0.1);
    assert.equal(all.effect, 0.05);
  });

  test('a metric missing on one side (a run that delivered nothing): inconclusive, the run named', () => {
    const current = runs('b', 8, () => 1);
    current[2] = run('b3', {});
    const comparison = compareRunValues(
      runs('a', 8, () => 1),
      current,
      { paired: true },
    );
    assert.equal(comparison.verdict, 'inconclusive');
    for (const m of comparison.metrics) {
      assert.equal(m.verdict, 'inconclusive');
      assert.equal(m.change, null);
      assert.equal(m.reason, `candidate run b3 measured no ${m.metric}: nothing to judge there`);
    }
    const baseline = runs('a', 8, () => 1);
    baseline[0] = run('a1', { [DELIVERED]: 2000 });
    baseline[4] = run('a5', { [DELIVERED]: 2000 });
    const both = compareRunValues(baseline, current);
    assert.equal(
      metric(both, P99).reason,
      'baseline runs a1, a5 measured no delivery_latency; candidate run b3 measured no delivery_latency: nothing to judge there',
    );
  });

  test('refuses to judge nothing: no metric measured, no runs, unequal paired sides, bad options → UserError', () => {
    assert.throws(
      () => compareRunValues([run('a', {})], [run('b', {})]),
      isUserError(/^nothing to compare: neither side measured any of the compared metrics/),
    );
    assert.throws(
      () =>
        compareRunValues(
          [],
          runs('b', 3, () => 1),
        ),
      isUserError(/0 baseline and 3 candidate runs/),
    );
    assert.throws(
      () =>
        compareRunValues(
          runs('a', 8, () => 1),
          runs('b', 7, () => 1),
          { paired: true },
        ),
      isUserError(/as many baseline runs as candidate runs \(8 ≠ 7\)/),
    );
    assert.throws(
      () =>
        compareRunValues(
          runs('a', 8, () => 1),
          runs('b', 8, () => 1),
          { alpha: 1 },
        ),
      isUserError(/alpha 1/),
    );
    assert.throws(
      () =>
        compareRunValues(
          runs('a', 8, () => 1),
          runs('b', 8, () => 1),
          { effect: 0 },
        ),
      isUserError(/effect 0/),
    );
  });
});

/** Standard normal draws from a seeded uniform source (Box–Muller). */
function normal(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A within-run series of `seconds` AR(1) values with correlation ρ and marginal sd 1. */
function ar1(gauss: () => number, seconds: number, rho: number): number[] {
  const innovation = Math.sqrt(1 - rho * rho);
  const series = [gauss()];
  for (let t = 1; t < seconds; t++) series.push(rho * series[t - 1]! + innovation * gauss());
  return series;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** The largest count of a Binomial(n, p) a correct rule may reach: np + 3 standard deviations. */
const binomialCeiling = (n: number, p: number) => n * p + 3 * Math.sqrt(n * p * (1 - p));

describe('compareRunValues: error rates by simulation', () => {
  const DECISIONS = 500;
  const PAIRS = 8;
  const SECONDS = 20;

  /**
   * One interleaved A/B experiment: each pair shares the machine's state (a drift, sd 10 %), each run adds
   * its own noise, and each run's value is the mean of its seconds, an AR(1) series (ρ 0.8) — so the
   * per-run noise is what autocorrelated seconds average to, not an independent draw per second.
   */
  function experiment(gauss: () => number, slowdown: number, secondSd: number): RunComparison {
    const baseline: RunValues[] = [];
    const current: RunValues[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const drift = Object.fromEntries(DELIVERY_METRICS.map((id) => [id, 0.1 * gauss()]));
      const side = (prefix: string, factor: number) =>
        run(
          `${prefix}${i}`,
          Object.fromEntries(
            DELIVERY_METRICS.map((id) => {
              const noise = secondSd * mean(ar1(gauss, SECONDS, 0.8));
              const value = TYPICAL[id]! * Math.exp(drift[id]! + noise);
              return [id, id === DELIVERED ? value / factor : value * factor];
            }),
          ),
        );
      baseline.push(side('a', 1));
      current.push(side('b', slowdown));
    }
    return compareRunValues(baseline, current, { paired: true });
  }

  /** Per-second sd such that a run's mean of 20 AR(1) seconds has sd ≈ `runSd` (the mean's variance ≈ (1+ρ)/(1−ρ)/n). */
  const secondSdFor = (runSd: number) => runSd / Math.sqrt((1 + 0.8) / (1 - 0.8) / SECONDS);

  function verdicts(seed: number, slowdown: number, runSd: number): Record<string, number> {
    const gauss = normal(mulberry32(seed));
    const counts: Record<string, number> = { pass: 0, regression: 0, inconclusive: 0 };
    for (let n = 0; n < DECISIONS; n++) counts[experiment(gauss, slowdown, secondSdFor(runSd)).verdict]!++;
    return counts;
  }

  test('A/A: regression verdicts ≤ α/2 (2.5 %) of 500 decisions, plus the binomial margin', () => {
    const counts = verdicts(12, 1, 0.03);
    assert.ok(counts.regression! <= binomialCeiling(DECISIONS, 0.025), JSON.stringify(counts));
  });

  test('+15 % with paired noise sd 3 %: regression in ≥ 95 % of 500 decisions', () => {
    const counts = verdicts(15, 1.15, 0.03 / Math.SQRT2);
    assert.ok(counts.regression! >= 0.95 * DECISIONS, JSON.stringify(counts));
  });

  test('+5 % (the effect size itself): pass in ≤ 2.5 % of 500 decisions, plus the binomial margin', () => {
    const counts = verdicts(5, 1.05, 0.03);
    assert.ok(counts.pass! <= binomialCeiling(DECISIONS, 0.025), JSON.stringify(counts));
  });

  test('contrast, the old failure mode: A/A seconds tested as independent "differ" far more often than 5 %', () => {
    // Two runs of the same build, 20 autocorrelated seconds each. A test that treats the seconds as
    // independent uses the naive standard error √(s²/n + s²/n); the means' real spread is ≈ 3× that
    // at ρ 0.8, so "differences beyond 2 SE" — nominally 5 % — happen in about half of identical pairs.
    const gauss = normal(mulberry32(80));
    let differ = 0;
    for (let n = 0; n < DECISIONS; n++) {
      const a = ar1(gauss, SECONDS, 0.8);
      const b = ar1(gauss, SECONDS, 0.8);
      const variance = (xs: number[]) => xs.reduce((sum, x) => sum + (x - mean(xs)) ** 2, 0) / (xs.length - 1);
      const naiveSe = Math.sqrt(variance(a) / SECONDS + variance(b) / SECONDS);
      if (Math.abs(mean(a) - mean(b)) > 2 * naiveSe) differ++;
    }
    assert.ok(differ > 0.25 * DECISIONS, `${differ} of ${DECISIONS}`);
  });
});
