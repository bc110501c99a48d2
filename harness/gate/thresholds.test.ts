import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as hdr from 'hdr-histogram-js';
import { UserError } from '../common/errors.ts';
import type { MetricSummary, TrendValues } from '../common/summary-types.ts';
import { percentileLookupFromHdr } from './hdr-percentiles.ts';
import {
  checkAbort,
  compare,
  evaluateThresholds,
  type ParsedThreshold,
  parseDurationS,
  parseThresholdExpression,
  parseThresholds,
  thresholdsFromResults,
} from './thresholds.ts';

function parsed(expression: string) {
  const outcome = parseThresholdExpression(expression);
  assert.ok(outcome.ok, `expected "${expression}" to parse: ${outcome.ok ? '' : outcome.problem}`);
  return outcome.value;
}

function problem(expression: string, kind?: 'trend' | 'counter' | 'gauge' | 'rate'): string {
  const outcome = parseThresholdExpression(expression, kind);
  assert.equal(outcome.ok, false, `expected "${expression}" to be rejected`);
  return outcome.ok ? '' : outcome.problem;
}

function errorOf(value: unknown): UserError {
  try {
    parseThresholds(value);
  } catch (error) {
    assert.ok(error instanceof UserError);
    return error;
  }
  assert.fail('expected parseThresholds to throw');
}

function trend(values: Partial<TrendValues> = {}): MetricSummary {
  return {
    type: 'trend',
    unit: 'ms',
    count: 100,
    avg: 10,
    min: 1,
    med: 8,
    p90: 20,
    p95: 30,
    p99: 40,
    p999: 45,
    max: 50,
    ...values,
  };
}

describe('grammar: aggregation operator number', () => {
  test('every aggregation word parses', () => {
    for (const name of ['avg', 'min', 'max', 'med', 'count', 'rate', 'value'] as const) {
      assert.deepEqual(parsed(`${name}<5`).aggregation, { name });
    }
  });

  test('p(N) takes integers and decimals from 0 to 100', () => {
    assert.deepEqual(parsed('p(99)<250').aggregation, { name: 'p', percentile: 99 });
    assert.deepEqual(parsed('p(99.9)<250').aggregation, { name: 'p', percentile: 99.9 });
    assert.deepEqual(parsed('p(99.99)<250').aggregation, { name: 'p', percentile: 99.99 });
    assert.deepEqual(parsed('p(0)>=0').aggregation, { name: 'p', percentile: 0 });
    assert.deepEqual(parsed('p(100)<1').aggregation, { name: 'p', percentile: 100 });
  });

  test('p(N) out of range or not a number is rejected with the range in the message', () => {
    assert.match(problem('p(101)<5'), /p\(101\) is out of range; the percentile must be 0 to 100/);
    assert.match(problem('p(-1)<5'), /needs a percentile between 0 and 100/);
    assert.match(problem('p()<5'), /needs a percentile between 0 and 100/);
    assert.match(problem('p(x)<5'), /needs a percentile between 0 and 100/);
  });

  test('blanks between tokens are allowed, and the expression is trimmed', () => {
    const value = parsed('  p( 95 )  <=   200  ');
    assert.deepEqual(value, { aggregation: { name: 'p', percentile: 95 }, operator: '<=', target: 200 });
    assert.equal(parsed('\tavg < 3\t').target, 3);
  });

  test('numbers: integers, decimals, signs, exponents', () => {
    assert.equal(parsed('avg<250').target, 250);
    assert.equal(parsed('avg<0.5').target, 0.5);
    assert.equal(parsed('value>-3').target, -3);
    assert.equal(parsed('rate<+1').target, 1);
    assert.equal(parsed('count<1e3').target, 1000);
    assert.equal(parsed('rate<2.5E-2').target, 0.025);
  });

  test('a number with a unit is rejected with a hint to drop the unit', () => {
    assert.equal(
      problem('p(99)<250ms'),
      '"p(99)<250ms": "250ms" is not a number; numbers carry no unit (trends are milliseconds, rates per second or 0..1): write "p(99)<250"',
    );
    assert.match(problem('avg<abc'), /"abc" is not a number; expected e\.g\. "p\(99\)<250"/);
    assert.match(problem('avg<'), /"" is not a number/);
  });

  test('a missing or unknown operator is rejected, listing the operators', () => {
    assert.equal(problem('p(99)=>250'), '"p(99)=>250": "=>" is not an operator; expected one of < <= > >= == === !=');
    assert.match(problem('p(99)=250'), /"=" is not an operator/);
    assert.match(problem('p(99)!==250'), /"!==" is not an operator/);
    assert.match(problem('p(99) 250'), /is not a threshold expression/);
  });

  test('unknown aggregations name the allowed ones for the kind', () => {
    assert.equal(
      problem('mean<50', 'trend'),
      '"mean<50" uses the unknown aggregation "mean"; a trend supports avg, min, max, med, p(N)',
    );
    assert.match(problem('avg(3)<5'), /unknown aggregation "avg\(3\)"/);
  });

  test('the k6 slip "p99" gets the corrected expression as the example', () => {
    assert.equal(
      problem('p99<250'),
      '"p99<250" is not a threshold expression; expected e.g. "p(99)<250" (aggregation operator number)',
    );
    assert.match(problem('p99.9<250'), /expected e\.g\. "p\(99\.9\)<250"/);
    assert.match(problem(''), /"" is not a threshold expression/);
    assert.match(problem('<250'), /is not a threshold expression/);
  });
});

describe('operators', () => {
  const table: Array<[string, number, number, boolean]> = [
    ['<', 1, 2, true],
    ['<', 2, 2, false],
    ['<=', 2, 2, true],
    ['<=', 3, 2, false],
    ['>', 3, 2, true],
    ['>', 2, 2, false],
    ['>=', 2, 2, true],
    ['>=', 1, 2, false],
    ['==', 2, 2, true],
    ['==', 2.5, 2, false],
    ['===', 0, 0, true],
    ['===', 1, 0, false],
    ['!=', 1, 0, true],
    ['!=', 0, 0, false],
  ];
  for (const [operator, value, target, expected] of table) {
    test(`${value} ${operator} ${target} is ${expected}`, () => {
      assert.equal(parsed(`avg${operator}${target}`).operator, operator);
      assert.equal(compare(value, operator as '<', target), expected);
    });
  }
});

describe('aggregations per metric kind', () => {
  const fits: Record<string, string[]> = {
    trend: ['avg<1', 'min<1', 'max<1', 'med<1', 'p(99)<1', 'p(99.9)<1'],
    counter: ['count<1', 'rate<1'],
    gauge: ['value<1', 'min<1', 'max<1'],
    rate: ['rate<1'],
  };
  const misfits: Record<string, string[]> = {
    trend: ['count<1', 'rate<1', 'value<1'],
    counter: ['avg<1', 'p(99)<1', 'value<1', 'med<1'],
    gauge: ['avg<1', 'count<1', 'rate<1', 'p(50)<1'],
    rate: ['count<1', 'avg<1', 'value<1'],
  };
  for (const kind of ['trend', 'counter', 'gauge', 'rate'] as const) {
    test(`${kind}: accepts ${fits[kind]?.join(' ')}; rejects ${misfits[kind]?.join(' ')}`, () => {
      for (const expression of fits[kind] ?? []) assert.ok(parseThresholdExpression(expression, kind).ok, expression);
      for (const expression of misfits[kind] ?? []) {
        assert.match(problem(expression, kind), new RegExp(`which a ${kind} metric does not have; a ${kind} supports`));
      }
    });
  }
  test('the message lists what the kind supports', () => {
    assert.equal(
      problem('p(99)<3', 'counter'),
      '"p(99)<3" uses p(99), which a counter metric does not have; a counter supports count, rate',
    );
  });
});

describe('ThresholdsSchema / parseThresholds', () => {
  test('parses strings and objects with abortOnFail and delayAbortEval, in order', () => {
    const result = parseThresholds({
      delivery_latency: ['p(99)<250', { threshold: 'avg<50', abortOnFail: true, delayAbortEval: '1m30s' }],
      messages_lost: ['count==0'],
      subscribers_connected: ['value>=1000'],
    });
    assert.deepEqual(
      result.map((t) => [t.metric, t.kind, t.expression, t.abortOnFail, t.delayAbortEvalS]),
      [
        ['delivery_latency', 'trend', 'p(99)<250', false, 0],
        ['delivery_latency', 'trend', 'avg<50', true, 90],
        ['messages_lost', 'counter', 'count==0', false, 0],
        ['subscribers_connected', 'gauge', 'value>=1000', false, 0],
      ],
    );
  });

  test('a malformed expression: one message naming the metric, the index and the expected form', () => {
    const error = errorOf({ delivery_latency: ['p(99)<250', 'p99<250'] });
    assert.equal(
      error.message,
      'invalid thresholds: thresholds.delivery_latency[1]: "p99<250" is not a threshold expression; expected e.g. "p(99)<250" (aggregation operator number)',
    );
    assert.equal(error.exitCode, 2);
  });

  test('an object entry points at its threshold field', () => {
    const error = errorOf({ messages_lost: [{ threshold: 'avg<1' }] });
    assert.match(error.message, /^invalid thresholds: thresholds\.messages_lost\[0\]\.threshold: "avg<1" uses avg/);
  });

  test('unknown metric names suggest the closest one', () => {
    assert.equal(
      errorOf({ delivery_latncy: ['p(99)<1'] }).message,
      'invalid thresholds: thresholds.delivery_latncy: unknown metric "delivery_latncy"; did you mean "delivery_latency"? (metrics are listed in harness/common/metrics-catalogue.ts)',
    );
    assert.doesNotMatch(errorOf({ http_req_duration: ['p(99)<1'] }).message, /did you mean/);
  });

  test('k6 tag-filtered sub-metrics are refused by name', () => {
    assert.match(errorOf({ 'delivery_latency{room:a}': ['p(99)<1'] }).message, /tag-filtered sub-metrics/);
  });

  test('every problem is listed in details, the first in the message', () => {
    const error = errorOf({
      nope: ['avg<1'],
      messages_lost: ['p(99)<3', { threshold: 'count<1', delayAbortEval: 'soon' }],
    });
    assert.match(error.message, /\(and 2 more problems\)$/);
    assert.deepEqual(
      error.details.map((line) => line.split(':')[0]),
      ['thresholds.nope', 'thresholds.messages_lost[0]', 'thresholds.messages_lost[1].delayAbortEval'],
    );
    assert.match(error.details[2] ?? '', /"soon" is not a duration; expected e\.g\. "10s"/);
  });

  test('wrong shapes: a bare string, a number, unknown object keys', () => {
    assert.match(errorOf({ delivery_latency: 'p(99)<1' }).message, /expected an array of thresholds/);
    assert.match(errorOf({ delivery_latency: [42] }).message, /expected a threshold expression like/);
    assert.match(errorOf({ delivery_latency: [{ threshold: 'avg<1', abort: true }] }).message, /delivery_latency\[0\]/);
  });

  test('thresholdsFromResults re-parses what summary.json stores', () => {
    const again = thresholdsFromResults([
      { metric: 'delivery_latency', expression: 'p(99)<250', ok: true, value: 3, abortOnFail: true },
      { metric: 'messages_lost', expression: 'count==0', ok: false, value: 2, abortOnFail: false },
    ]);
    assert.deepEqual(
      again.map((t) => [t.metric, t.expression, t.abortOnFail]),
      [
        ['delivery_latency', 'p(99)<250', true],
        ['messages_lost', 'count==0', false],
      ],
    );
  });
});

describe('evaluateThresholds', () => {
  const metrics: Record<string, MetricSummary> = {
    delivery_latency: trend(),
    messages_lost: { type: 'counter', count: 3, rate: 0.05 },
    messages_delivered: { type: 'counter', count: 6000, rate: 100 },
    subscribers_connected: { type: 'gauge', value: 990, min: 0, max: 1000 },
  };

  function one(metric: string, expression: string, against = metrics, options = {}) {
    const [result] = evaluateThresholds(parseThresholds({ [metric]: [expression] }), against, options);
    assert.ok(result);
    return result;
  }

  test('trend aggregations read the matching summary field', () => {
    const cases: Array<[string, number]> = [
      ['avg<11', 10],
      ['min<2', 1],
      ['med<9', 8],
      ['max<51', 50],
      ['p(90)<21', 20],
      ['p(95)<31', 30],
      ['p(99)<41', 40],
      ['p(99.9)<46', 45],
      ['p(50)<9', 8],
      ['p(0)<2', 1],
      ['p(100)<51', 50],
    ];
    for (const [expression, value] of cases) {
      assert.deepEqual(one('delivery_latency', expression), {
        metric: 'delivery_latency',
        expression,
        ok: true,
        value,
        abortOnFail: false,
      });
    }
    assert.equal(one('delivery_latency', 'p(99)<40').ok, false);
  });

  test('counter count and rate; gauge value, min, max', () => {
    assert.deepEqual([one('messages_lost', 'count==0').ok, one('messages_lost', 'count==0').value], [false, 3]);
    assert.equal(one('messages_delivered', 'rate>=100').ok, true);
    assert.equal(one('messages_delivered', 'rate>100').ok, false);
    assert.deepEqual(
      [one('subscribers_connected', 'value>=1000').ok, one('subscribers_connected', 'value>=1000').value],
      [false, 990],
    );
    assert.equal(one('subscribers_connected', 'max>=1000').ok, true);
    assert.equal(one('subscribers_connected', 'min==0').ok, true);
  });

  test('no data: an absent counter counts as 0 (value null); an empty trend or absent gauge fails', () => {
    assert.deepEqual(one('messages_duplicated', 'count==0'), {
      metric: 'messages_duplicated',
      expression: 'count==0',
      ok: true,
      value: null,
      abortOnFail: false,
    });
    assert.equal(one('messages_duplicated', 'count>0').ok, false);
    assert.equal(one('messages_duplicated', 'rate<1').ok, true);
    const empty = { delivery_latency: trend({ count: 0, avg: 0, p99: 0 }) };
    assert.deepEqual(
      [one('delivery_latency', 'p(99)<250', empty).ok, one('delivery_latency', 'p(99)<250', empty).value],
      [false, null],
    );
    assert.deepEqual([one('connect_duration', 'avg<1').ok, one('connect_duration', 'avg<1').value], [false, null]);
    assert.equal(one('push_queue_depth', 'value<1').ok, false);
  });

  test('a rate metric with no passes nor fails has no data', () => {
    const [threshold] = parseThresholds({ delivery_latency: ['avg<1'] });
    assert.ok(threshold);
    const rateThreshold: ParsedThreshold = {
      ...threshold,
      kind: 'rate',
      aggregation: { name: 'rate' },
      expression: 'rate>0.9',
      operator: '>',
      target: 0.9,
    };
    const evaluate = (passes: number, fails: number) =>
      evaluateThresholds([rateThreshold], {
        delivery_latency: { type: 'rate', rate: passes / (passes + fails || 1), passes, fails },
      })[0];
    assert.deepEqual([evaluate(0, 0)?.ok, evaluate(0, 0)?.value], [false, null]);
    assert.deepEqual([evaluate(95, 5)?.ok, evaluate(95, 5)?.value], [true, 0.95]);
  });

  test('other percentiles come from the HDR histogram (µs → ms), or fail loudly without one', () => {
    const histogram = hdr.build();
    for (let ms = 1; ms <= 100; ms++) histogram.recordValue(ms * 1000);
    const lookup = percentileLookupFromHdr({ delivery_latency: hdr.encodeIntoCompressedBase64(histogram) });
    const p75 = one('delivery_latency', 'p(75)<80', metrics, { percentile: lookup });
    assert.equal(p75.ok, true);
    assert.ok(Math.abs((p75.value ?? 0) - 75) < 0.1, `p(75) ≈ 75 ms, got ${p75.value}`);
    assert.equal(one('delivery_latency', 'p(99.99)<100', metrics, { percentile: lookup }).ok, false);
    assert.throws(
      () => one('delivery_latency', 'p(75)<80'),
      /needs the run's HDR histogram \(histograms\/delivery_latency\.hdr\)/,
    );
    const noHistogram = percentileLookupFromHdr({});
    assert.throws(() => one('delivery_latency', 'p(75)<80', metrics, { percentile: noHistogram }), UserError);
  });

  test('a summary whose type disagrees with the catalogue is refused', () => {
    assert.throws(
      () => one('delivery_latency', 'avg<1', { delivery_latency: { type: 'counter', count: 1, rate: 1 } }),
      /delivery_latency is a counter in the run's metrics but a trend in the catalogue/,
    );
  });
});

describe('checkAbort', () => {
  const thresholds = parseThresholds({
    delivery_latency: ['p(99)<100', { threshold: 'avg<50', abortOnFail: true, delayAbortEval: '10s' }],
    messages_lost: [{ threshold: 'count<5', abortOnFail: true }],
    connect_duration: [{ threshold: 'p(95)<10', abortOnFail: true }],
  });

  test('nothing crossed → null; plain thresholds never abort', () => {
    assert.equal(checkAbort(thresholds, { delivery_latency: trend({ avg: 20, p99: 500 }) }, 30), null);
  });

  test('an abortOnFail threshold waits for its delayAbortEval', () => {
    const metrics = { delivery_latency: trend({ avg: 80 }) };
    assert.equal(checkAbort(thresholds, metrics, 9.9), null);
    const decision = checkAbort(thresholds, metrics, 10);
    assert.ok(decision);
    assert.equal(decision.threshold.expression, 'avg<50');
    assert.equal(decision.value, 80);
    assert.equal(decision.reason, "threshold delivery_latency 'avg<50' crossed at 10s: avg=80");
  });

  test('no data does not abort a trend; an absent counter counts as 0', () => {
    assert.equal(checkAbort(thresholds, {}, 60), null);
    const lost = checkAbort(thresholds, { messages_lost: { type: 'counter', count: 7, rate: 1 } }, 1);
    assert.equal(lost?.threshold.metric, 'messages_lost');
  });
});

test('parseDurationS reads k6/Go durations', () => {
  assert.equal(parseDurationS('10s'), 10);
  assert.equal(parseDurationS('500ms'), 0.5);
  assert.equal(parseDurationS('1m30s'), 90);
  assert.equal(parseDurationS('1.5h'), 5400);
  assert.equal(parseDurationS('0'), 0);
  for (const bad of ['', '10', 's', '10 s', '-1s', '1d']) assert.equal(parseDurationS(bad), null, bad);
});
