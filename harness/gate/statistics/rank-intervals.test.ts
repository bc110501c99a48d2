import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mulberry32 } from '../../common/seeded-random.ts';
import {
  EXACT_RANK_SUM_MAX_PRODUCT,
  EXACT_SIGNED_RANK_MAX_PAIRS,
  pairedShift,
  rankSumMinimumRunsPerSide,
  rankSumNullDistribution,
  type ShiftInterval,
  signedRankMinimumPairs,
  signedRankNullDistribution,
  twoSampleShift,
} from './rank-intervals.ts';

function assertClose(actual: number | null, expected: number, tolerance: number, what: string): void {
  assert.ok(actual !== null, `${what}: expected ${expected}, got null`);
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected} ± ${tolerance}, got ${actual}`);
}

/** R's answer for one call: the Hodges–Lehmann estimate, conf.int and the achieved coverage. */
interface RAnswer {
  estimate: number;
  low: number;
  high: number;
  coverage: number;
}

function assertMatchesR(actual: ShiftInterval, expected: RAnswer): void {
  assertClose(actual.estimate, expected.estimate, 1e-12, 'estimate');
  assertClose(actual.low, expected.low, 1e-12, 'low');
  assertClose(actual.high, expected.high, 1e-12, 'high');
  assertClose(actual.coverage, expected.coverage, 1e-12, 'coverage');
  assert.equal(actual.exact, true);
}

function cumulative(probabilities: Float64Array, upTo: number): number {
  let sum = 0;
  for (let t = 0; t <= upTo; t++) sum += probabilities[t]!;
  return sum;
}

/** The C an interval used: the index of its lower endpoint among the sorted candidates (distinct values). */
function tailCountOf(interval: ShiftInterval, sortedCandidates: number[]): number {
  return sortedCandidates.indexOf(interval.low!);
}

function walshAverages(differences: readonly number[]): number[] {
  const averages: number[] = [];
  for (let i = 0; i < differences.length; i++) {
    for (let j = i; j < differences.length; j++) averages.push((differences[i]! + differences[j]!) / 2);
  }
  return averages.sort((a, b) => a - b);
}

function standardNormal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Share of the trials whose interval covers `truth`, and the smallest coverage any of them promised. */
function coverageShare(trials: number, makeInterval: () => ShiftInterval, truth: number) {
  let covered = 0;
  let promised = 1;
  for (let trial = 0; trial < trials; trial++) {
    const interval = makeInterval();
    if (interval.low! <= truth && truth <= interval.high!) covered++;
    promised = Math.min(promised, interval.coverage!);
  }
  return { share: covered / trials, promised };
}

/** Three binomial standard errors below the promised coverage: a correct interval falls short ~0.1 % of the time. */
function binomialFloor(promised: number, trials: number): number {
  return promised - 3 * Math.sqrt((promised * (1 - promised)) / trials);
}

// Help-page data of R's ?wilcox.test (tie-free differences; y has ties within itself, see the unpaired case).
const HELP_X = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
const HELP_Y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
const HELP_D = HELP_Y.map((y, i) => y - HELP_X[i]!);
// Depression data of R's ?wilcox.test (two-sample, unequal sizes 10 and 5, tie-free).
const DEPRESSION_X = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const DEPRESSION_Y = [1.15, 0.88, 0.9, 0.74, 1.21];
const D5 = [0.12, -0.03, 0.25, 0.08, 0.17];
const D8 = [0.051, -0.022, 0.134, 0.087, 0.009, 0.162, -0.041, 0.073];
const B5 = [4.12, 3.87, 4.45, 4.01, 3.95];
const C5 = [4.38, 4.21, 4.66, 4.09, 4.52];
const B8 = [4.12, 3.87, 4.45, 4.01, 3.95, 4.3, 3.78, 4.22].map(Math.log);
const C8 = [4.38, 4.21, 4.66, 4.09, 4.52, 4.71, 4.17, 4.44].map(Math.log);

/*
 * Known answers from R 4.2.2 (R version 4.2.2 Patched (2022-11-10 r83330)), computed once on the machine this
 * was written on; the tests do not call R. Each value is `estimate`, `conf.int` of
 *   paired:     r <- wilcox.test(d, conf.int = TRUE, exact = TRUE, correct = FALSE, conf.level = conf)
 *               (for the help-page data also wilcox.test(y, x, paired = TRUE, <same options>): identical)
 *   two-sample: r <- wilcox.test(current, baseline, conf.int = TRUE, exact = TRUE, correct = FALSE, conf.level = conf)
 * and the achieved coverage
 *   paired:     qu <- qsignrank((1 - conf) / 2, n); 1 - 2 * psignrank(qu - 1, n)
 *   two-sample: qu <- qwilcox((1 - conf) / 2, length(current), length(baseline)); 1 - 2 * pwilcox(qu - 1, ...)
 * printed with sprintf("%.17g").
 */
describe('known answers from R 4.2.2 wilcox.test(..., conf.int = TRUE, exact = TRUE, correct = FALSE)', () => {
  test('paired, help-page data: wilcox.test(y, x, paired = TRUE, ...) at 0.95, 0.99 and 0.9875', () => {
    const estimate = -0.46000000000000008;
    assertMatchesR(pairedShift(HELP_D, 0.95), {
      estimate,
      low: -0.78600000000000003,
      high: -0.010000000000000009,
      coverage: 0.9609375,
    });
    assertMatchesR(pairedShift(HELP_D, 0.99), {
      estimate,
      low: -0.9870000000000001,
      high: 0.11350000000000005,
      coverage: 0.9921875,
    });
    assertMatchesR(pairedShift(HELP_D, 0.9875), {
      estimate,
      low: -0.95200000000000007,
      high: 0.080000000000000071,
      coverage: 0.98828125,
    });
  });

  test('paired, n = 5: wilcox.test(c(0.12, -0.03, 0.25, 0.08, 0.17), ...) at 0.90; 0.95 is not reachable', () => {
    assertMatchesR(pairedShift(D5, 0.9), { estimate: 0.12, low: -0.029999999999999999, high: 0.25, coverage: 0.9375 });
    // R widens to the extremes with a warning ("requested conf.level not achievable"); we return no interval.
    const tooSmall = pairedShift(D5, 0.95);
    assertClose(tooSmall.estimate, 0.12, 1e-12, 'estimate');
    assert.equal(tooSmall.low, null);
    assert.equal(tooSmall.high, null);
    assert.equal(tooSmall.coverage, null);
    assert.equal(tooSmall.minimumSize, 6);
  });

  test('paired, n = 8: wilcox.test(c(0.051, -0.022, 0.134, 0.087, 0.009, 0.162, -0.041, 0.073), ...)', () => {
    const estimate = 0.058250000000000003;
    assertMatchesR(pairedShift(D8, 0.95), { estimate, low: -0.016, high: 0.1245, coverage: 0.9609375 });
    // 8 pairs is the minimum for 0.9875: the interval is [min, max] of the Walsh averages.
    assertMatchesR(pairedShift(D8, 0.9875), {
      estimate,
      low: -0.041000000000000002,
      high: 0.16200000000000001,
      coverage: 0.9921875,
    });
  });

  test('two-sample, unequal sizes 10 and 5 (help-page depression data), both directions', () => {
    // wilcox.test(x, y, ...): current = x, baseline = y.
    assertMatchesR(twoSampleShift(DEPRESSION_Y, DEPRESSION_X, 0.95), {
      estimate: 0.30500000000000005,
      low: -0.15000000000000002,
      high: 0.7599999999999999,
      coverage: 0.96003996003996006,
    });
    assertMatchesR(twoSampleShift(DEPRESSION_Y, DEPRESSION_X, 0.99), {
      estimate: 0.30500000000000005,
      low: -0.34999999999999987,
      high: 1.0099999999999998,
      coverage: 0.99200799200799206,
    });
    // wilcox.test(y, x, ...): current = y, baseline = x.
    assertMatchesR(twoSampleShift(DEPRESSION_X, DEPRESSION_Y, 0.95), {
      estimate: -0.30500000000000005,
      low: -0.7599999999999999,
      high: 0.15000000000000002,
      coverage: 0.96003996003996006,
    });
  });

  test('two-sample, 5 runs per side (the minimum for 0.9875) and 8 runs per side on log values', () => {
    // b5 <- c(4.12, 3.87, 4.45, 4.01, 3.95); c5 <- c(4.38, 4.21, 4.66, 4.09, 4.52); wilcox.test(c5, b5, ...)
    assertMatchesR(twoSampleShift(B5, C5, 0.9875), {
      estimate: 0.25999999999999979,
      low: -0.36000000000000032,
      high: 0.79000000000000004,
      coverage: 0.99206349206349209,
    });
    assertMatchesR(twoSampleShift(B5, C5, 0.95), {
      estimate: 0.25999999999999979,
      low: -0.070000000000000284,
      high: 0.65000000000000036,
      coverage: 0.96825396825396826,
    });
    // b8 <- log(c(4.12, 3.87, 4.45, 4.01, 3.95, 4.30, 3.78, 4.22)); c8 <- log(c(4.38, 4.21, 4.66, 4.09, 4.52, 4.71, 4.17, 4.44))
    assertMatchesR(twoSampleShift(B8, C8, 0.95), {
      estimate: 0.074731370925859131,
      low: 0.015607897665991022,
      high: 0.13479641493110917,
      coverage: 0.95011655011655016,
    });
    assertMatchesR(twoSampleShift(B8, C8, 0.9875), {
      estimate: 0.074731370925859131,
      low: -0.011919092237210327,
      high: 0.16089666670984859,
      coverage: 0.98958818958818962,
    });
  });

  test('two-sample with ties (help-page x, y unpaired): the exact order-statistic rule, applied in R by hand', () => {
    // y has ties, so wilcox.test itself falls back to the normal approximation; the reference is the exact rule:
    //   diffs <- sort(outer(x, y, "-")); qu <- qwilcox((1 - conf) / 2, 9, 9)
    //   c(median(diffs), diffs[qu], diffs[81 - qu + 1], 1 - 2 * pwilcox(qu - 1, 9, 9))
    assertMatchesR(twoSampleShift(HELP_Y, HELP_X, 0.95), {
      estimate: 0.56000000000000005,
      low: -0.36999999999999988,
      high: 1.1830000000000001,
      coverage: 0.96001645413410119,
    });
    assertMatchesR(twoSampleShift(HELP_Y, HELP_X, 0.99), {
      estimate: 0.56000000000000005,
      low: -0.66000000000000014,
      high: 1.4199999999999999,
      coverage: 0.9922254216371863,
    });
  });

  test('null tails at the exact limits: C = qsignrank / qwilcox(0.00625, ...) − 1 and the tail probability from R', () => {
    // q <- qsignrank(0.00625, n); psignrank(q - 1, n)   and   q <- qwilcox(0.00625, m, n); pwilcox(q - 1, m, n)
    const cases: { name: string; probabilities: Float64Array; qu: number; tail: number }[] = [
      { name: 'signrank 50', probabilities: signedRankNullDistribution(50), qu: 381, tail: 0.0061066740506356956 },
      { name: 'signrank 200', probabilities: signedRankNullDistribution(200), qu: 8008, tail: 0.00623964555192409 },
      { name: 'wilcox 20x20', probabilities: rankSumNullDistribution(20, 20), qu: 109, tail: 0.0060827903769336278 },
      { name: 'wilcox 60x60', probabilities: rankSumNullDistribution(60, 60), qu: 1326, tail: 0.0061958872837585372 },
      { name: 'wilcox 30x70', probabilities: rankSumNullDistribution(30, 70), qu: 720, tail: 0.0061823461773680794 },
      {
        name: 'wilcox 200x200',
        probabilities: rankSumNullDistribution(200, 200),
        qu: 17116,
        tail: 0.0062451549106232913,
      },
      {
        name: 'wilcox 10x4000',
        probabilities: rankSumNullDistribution(10, 4000),
        qu: 11021,
        tail: 0.0062455371365424958,
      },
    ];
    for (const { name, probabilities, qu, tail } of cases) {
      const atC = cumulative(probabilities, qu - 1);
      assert.ok(Math.abs(atC - tail) <= 1e-10 * tail, `${name}: P(T ≤ ${qu - 1}) = ${atC}, R says ${tail}`);
      assert.ok(cumulative(probabilities, qu) > 0.00625, `${name}: C + 1 must exceed alpha/2`);
    }
  });
});

describe('null distributions against brute-force enumeration', () => {
  test('signed-rank: all 2^n sign vectors, n = 1 … 12', () => {
    for (let n = 1; n <= 12; n++) {
      const counts = new Float64Array((n * (n + 1)) / 2 + 1);
      for (let signs = 0; signs < 2 ** n; signs++) {
        let positiveRankSum = 0;
        for (let rank = 1; rank <= n; rank++) if (signs & (1 << (rank - 1))) positiveRankSum += rank;
        counts[positiveRankSum]!++;
      }
      const probabilities = signedRankNullDistribution(n);
      assert.equal(probabilities.length, counts.length);
      for (let t = 0; t < counts.length; t++) {
        assertClose(probabilities[t]!, counts[t]! / 2 ** n, 1e-15, `n=${n} P(T+=${t})`);
      }
    }
  });

  test('rank-sum: all C(m+n, m) splits of the ranks, several (m, n) including unequal ones', () => {
    for (const [m, n] of [
      [1, 1],
      [1, 4],
      [2, 3],
      [3, 5],
      [4, 4],
      [5, 6],
      [6, 3],
      [7, 7],
    ] as const) {
      const counts = new Float64Array(m * n + 1);
      let splits = 0;
      for (let chosen = 0; chosen < 2 ** (m + n); chosen++) {
        let size = 0;
        let rankSum = 0;
        for (let rank = 1; rank <= m + n; rank++) {
          if (chosen & (1 << (rank - 1))) {
            size++;
            rankSum += rank;
          }
        }
        if (size !== m) continue;
        counts[rankSum - (m * (m + 1)) / 2]!++;
        splits++;
      }
      const probabilities = rankSumNullDistribution(m, n);
      assert.equal(probabilities.length, counts.length);
      for (let u = 0; u < counts.length; u++) {
        assertClose(probabilities[u]!, counts[u]! / splits, 1e-14, `m=${m} n=${n} P(U=${u})`);
      }
    }
  });

  test('the coverage of an interval is 1 − 2·P(T ≤ C) with the largest C whose tail is ≤ (1 − confidence)/2', () => {
    const probabilities = signedRankNullDistribution(9);
    // n = 9: P(T+ ≤ 1) = 2/512 exactly; at confidence 1 − 4/512 the boundary is inclusive: C = 1.
    const interval = pairedShift(HELP_D, 1 - 4 / 512);
    assert.equal(tailCountOf(interval, walshAverages(HELP_D)), 1);
    assert.equal(interval.coverage, 1 - 2 * cumulative(probabilities, 1));
  });
});

describe('minimum sizes and too-small samples', () => {
  test('0.9875 (0.05 over 4 metrics) needs 8 pairs or 5 runs per side; 0.95 needs 6 pairs or 4 runs per side', () => {
    assert.equal(signedRankMinimumPairs(0.9875), 8); // 2·2^-7 = 0.0156 > 0.0125; 2·2^-8 = 0.0078
    assert.equal(rankSumMinimumRunsPerSide(0.9875), 5); // 2/C(8,4) = 2/70 > 0.0125; 2/C(10,5) = 2/252
    assert.equal(signedRankMinimumPairs(0.95), 6);
    assert.equal(rankSumMinimumRunsPerSide(0.95), 4);
    assert.equal(signedRankMinimumPairs(0.5), 2);
    assert.equal(rankSumMinimumRunsPerSide(0.5), 2);
  });

  test('too-small samples: estimate but no interval, minimumSize set', () => {
    const sevenPairs = pairedShift(D8.slice(0, 7), 0.9875);
    assert.deepEqual(
      { low: sevenPairs.low, high: sevenPairs.high, coverage: sevenPairs.coverage, min: sevenPairs.minimumSize },
      { low: null, high: null, coverage: null, min: 8 },
    );
    assert.equal(sevenPairs.method, 'signed-rank');
    const onePair = pairedShift([0.1], 0.9875);
    assert.equal(onePair.estimate, 0.1);
    assert.equal(onePair.low, null);

    const fourPerSide = twoSampleShift(B5.slice(0, 4), C5.slice(0, 4), 0.9875);
    assert.deepEqual(
      { low: fourPerSide.low, high: fourPerSide.high, coverage: fourPerSide.coverage, min: fourPerSide.minimumSize },
      { low: null, high: null, coverage: null, min: 5 },
    );
    assert.equal(fourPerSide.method, 'rank-sum');
    // Unequal sides can reach it below 5 per side: 2/C(10, 4) = 2/210 ≤ 0.0125 (the interval is [min, max]).
    const fourAndSix = twoSampleShift(B5.slice(0, 4), [...C5, 4.8], 0.9875);
    assert.ok(fourAndSix.low !== null);
    assertClose(fourAndSix.coverage, 1 - 2 / 210, 1e-15, 'coverage');
  });
});

describe('input validation', () => {
  test('non-finite values, empty samples and confidence outside (0, 1) throw', () => {
    assert.throws(() => pairedShift([], 0.95), /empty/);
    assert.throws(() => pairedShift([0.1, Number.NaN], 0.95), /differences\[1\]/);
    assert.throws(() => pairedShift([0.1, Number.POSITIVE_INFINITY], 0.95), /finite/);
    assert.throws(() => twoSampleShift([], [1], 0.95), /baseline: the sample is empty/);
    assert.throws(() => twoSampleShift([1], [], 0.95), /current: the sample is empty/);
    assert.throws(() => twoSampleShift([1, Number.NEGATIVE_INFINITY], [1], 0.95), /baseline\[1\]/);
    for (const confidence of [0, 1, -0.5, 1.5, Number.NaN]) {
      assert.throws(() => pairedShift([0.1, 0.2], confidence), /confidence/);
      assert.throws(() => twoSampleShift([1], [2], confidence), /confidence/);
    }
  });
});

describe('exact up to the limits, normal approximation beyond', () => {
  test('200 pairs and 200 × 200 runs are exact and fast; the coverage is the one from R', () => {
    const random = mulberry32(7);
    const differences = Array.from({ length: EXACT_SIGNED_RANK_MAX_PAIRS }, () => standardNormal(random));
    const started = performance.now();
    const paired = pairedShift(differences, 0.9875);
    const pairedMs = performance.now() - started;
    assert.equal(paired.exact, true);
    assertClose(paired.coverage, 1 - 2 * 0.00623964555192409, 1e-12, 'coverage (R: psignrank(8007, 200))');
    assert.equal(tailCountOf(paired, walshAverages(differences)), 8007);

    const side = Math.sqrt(EXACT_RANK_SUM_MAX_PRODUCT);
    const baseline = Array.from({ length: side }, () => standardNormal(random));
    const current = Array.from({ length: side }, () => standardNormal(random));
    const twoSample = twoSampleShift(baseline, current, 0.9875);
    assert.equal(twoSample.exact, true);
    assertClose(twoSample.coverage, 1 - 2 * 0.0062451549106232913, 1e-11, 'coverage (R: pwilcox(17115, 200, 200))');
    // Generous bound: the machine is shared; alone it takes a few ms.
    assert.ok(pairedMs < 100, `200 pairs took ${pairedMs.toFixed(1)} ms`);
  });

  test('beyond: normal approximation, conservative by a few ranks against the exact quantiles from R', () => {
    const random = mulberry32(11);
    // R: qsignrank(0.00625, 201) = 8093 → exact C = 8092; qsignrank(0.00625, 300) = 18825 → 18824.
    for (const [n, exactC] of [
      [201, 8092],
      [300, 18824],
    ] as const) {
      const differences = Array.from({ length: n }, () => standardNormal(random));
      const interval = pairedShift(differences, 0.9875);
      assert.equal(interval.exact, false);
      assert.ok(interval.coverage! >= 0.9875);
      const c = tailCountOf(interval, walshAverages(differences));
      assert.ok(c <= exactC && c >= exactC - 10, `n=${n}: C ${c}, exact ${exactC}`);
    }
    // R: qwilcox(0.00625, 201, 201) = 17295 → exact C = 17294.
    const baseline = Array.from({ length: 201 }, () => standardNormal(random));
    const current = Array.from({ length: 201 }, () => standardNormal(random));
    const interval = twoSampleShift(baseline, current, 0.9875);
    assert.equal(interval.exact, false);
    assert.ok(interval.coverage! >= 0.9875);
    const sortedDifferences = baseline.flatMap((b) => current.map((c) => c - b)).sort((a, b) => a - b);
    const c = tailCountOf(interval, sortedDifferences);
    assert.ok(c <= 17294 && c >= 17294 - 10, `201 x 201: C ${c}, exact 17294`);
  });
});

describe('coverage by simulation (seeded)', () => {
  const TRIALS = 2000;
  const TRUE_RATIO = 1.15; // +15 % latency
  const TRUE_SHIFT = Math.log(TRUE_RATIO);

  test('paired, n = 10, skewed run values with a shared per-pair machine state: covers the true log ratio', () => {
    const random = mulberry32(2024);
    // A run's latency: 5 ms × machine state of the pair (heavy right tail, hits A and B alike) × own skewed noise.
    const skewed = () => -Math.log(1 - random()) * 0.3; // exponential: right-skewed
    const { share, promised } = coverageShare(
      TRIALS,
      () => {
        const differences: number[] = [];
        for (let pair = 0; pair < 10; pair++) {
          const machineState = Math.exp(Math.abs(standardNormal(random)));
          const a = 5 * machineState * Math.exp(skewed());
          const b = 5 * TRUE_RATIO * machineState * Math.exp(skewed());
          differences.push(Math.log(b) - Math.log(a));
        }
        return pairedShift(differences, 0.95);
      },
      TRUE_SHIFT,
    );
    assert.equal(promised, 0.951171875); // n = 10 at 0.95: 1 − 2·P(T+ ≤ 8) = 1 − 2·25/1024
    assert.ok(share >= binomialFloor(promised, TRIALS), `covered ${share}, promised ${promised}`);
  });

  test('two-sample, 8 runs per side, skewed (log-normal) run values: covers the true log ratio', () => {
    const random = mulberry32(99);
    const runValue = (ratio: number) => Math.log(5 * ratio * Math.exp(0.25 * standardNormal(random) ** 2));
    const { share, promised } = coverageShare(
      TRIALS,
      () => {
        const baseline = Array.from({ length: 8 }, () => runValue(1));
        const current = Array.from({ length: 8 }, () => runValue(TRUE_RATIO));
        return twoSampleShift(baseline, current, 0.9875);
      },
      TRUE_SHIFT,
    );
    assert.ok(promised >= 0.9875);
    assert.ok(share >= binomialFloor(promised, TRIALS), `covered ${share}, promised ${promised}`);
  });

  test('autocorrelated: AR(1) machine drift across interleaved runs, AR(1) seconds within a run, run means tested', () => {
    const random = mulberry32(4242);
    const PAIRS = 10;
    const SECONDS = 20;
    const DRIFT_PHI = 0.8; // the machine's state carries over from one run to the next
    const WITHIN_PHI = 0.7; // seconds within a run are autocorrelated
    /** One run's value: the mean of its per-second latencies, an AR(1) on the log scale around the run's level. */
    const runMean = (level: number) => {
      let noise = standardNormal(random) * 0.3;
      let sum = 0;
      for (let second = 0; second < SECONDS; second++) {
        noise = WITHIN_PHI * noise + Math.sqrt(1 - WITHIN_PHI ** 2) * 0.3 * standardNormal(random);
        sum += Math.exp(level + noise);
      }
      return sum / SECONDS;
    };
    const { share, promised } = coverageShare(
      TRIALS / 2,
      () => {
        let drift = standardNormal(random) * 0.2;
        const differences: number[] = [];
        for (let pair = 0; pair < PAIRS; pair++) {
          // A then B: each run moves the drift one AR(1) step.
          drift = DRIFT_PHI * drift + Math.sqrt(1 - DRIFT_PHI ** 2) * 0.2 * standardNormal(random);
          const a = runMean(Math.log(5) + drift);
          drift = DRIFT_PHI * drift + Math.sqrt(1 - DRIFT_PHI ** 2) * 0.2 * standardNormal(random);
          const b = runMean(Math.log(5 * TRUE_RATIO) + drift);
          differences.push(Math.log(b) - Math.log(a));
        }
        return pairedShift(differences, 0.95);
      },
      TRUE_SHIFT,
    );
    assert.ok(share >= binomialFloor(promised, TRIALS / 2), `covered ${share}, promised ${promised}`);
  });
});
