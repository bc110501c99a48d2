/**
 * Thresholds in k6 syntax: parse, validate against the metrics catalogue, evaluate (end of run and, for
 * `abortOnFail`, during the run). Parsing, validation and evaluation are separate steps, as in k6.
 *
 * Scenario shape:
 *   thresholds: {
 *     delivery_latency: ['p(99)<250', { threshold: 'avg<50', abortOnFail: true, delayAbortEval: '10s' }],
 *     messages_lost: ['count==0'],
 *   }
 *
 * Grammar of one expression (blanks = spaces or tabs, allowed between tokens):
 *   expression  = aggregation operator number
 *   aggregation = "avg" | "min" | "max" | "med" | "count" | "rate" | "value" | "p(" percentile ")"
 *   percentile  = digits [ "." digits ]            0 ≤ percentile ≤ 100, e.g. p(99), p(99.9), p(0)
 *   operator    = "<" | "<=" | ">" | ">=" | "==" | "===" | "!="      ("===" means the same as "==")
 *   number      = [ "+" | "-" ] digits [ "." digits ] [ ("e" | "E") [ "+" | "-" ] digits ]
 * Numbers carry no unit: trends are milliseconds, counter `rate` is per second, rates are 0..1.
 *
 * Aggregations by metric kind (kinds from metrics-catalogue.ts):
 *   trend   avg, min, max, med, p(N)
 *   counter count, rate (per second over the run)
 *   gauge   value (the last sample), min, max
 *   rate    rate (passes / (passes + fails))
 *
 * Metrics without data (decided here, deliberately stricter than k6):
 *   - counter absent from the metrics: counted nothing, so it is evaluated as 0 (count 0, rate 0) — the
 *     way k6 treats an unused counter since grafana/k6#1346. `messages_lost: ['count==0']` passes, `count>0`
 *     fails. The result's `value` is null all the same, so reports can say "no data".
 *   - trend with no samples, gauge never sampled, rate with no passes nor fails: the threshold FAILS with
 *     value null. k6 evaluates such metrics as zeros, so `p(99)<250` passes on a run that delivered
 *     nothing (grafana/k6#4283); a gate that promises a latency must not pass when nothing was measured.
 *   - during the run (`checkAbort`) a trend/gauge/rate without data never aborts: data may still come.
 */
import { z } from 'zod';
import { parseDuration } from '../common/duration.ts';
import { UserError } from '../common/errors.ts';
import { isMetricName, METRICS, type MetricKind, type MetricName } from '../common/metrics-catalogue.ts';
import type { MetricSummary, ThresholdResult, TrendValues } from '../common/summary-types.ts';
import { parseOrExplain } from '../common/validation.ts';

/**
 * A k6 duration ("10s", "500ms", "1m30s", "0") in seconds, or null when the text is not one. Stricter than
 * the workload's parser: a bare number has no unit here, so "10" is refused rather than read as 10 ms.
 */
export function parseDurationS(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (!/[a-zµ]$/.test(trimmed)) return null;
  try {
    return parseDuration(trimmed) / 1000;
  } catch {
    return null;
  }
}

export const OPERATORS = ['<', '<=', '>', '>=', '==', '===', '!='] as const;
export type Operator = (typeof OPERATORS)[number];

export type Aggregation =
  | { name: 'avg' | 'min' | 'max' | 'med' | 'count' | 'rate' | 'value' }
  | { name: 'p'; percentile: number };

export interface ParsedExpression {
  aggregation: Aggregation;
  operator: Operator;
  target: number;
}

export interface ParsedThreshold extends ParsedExpression {
  metric: MetricName;
  kind: MetricKind;
  /** As the user wrote it (trimmed): the key in reports and in summary.json. */
  expression: string;
  abortOnFail: boolean;
  /** Seconds into the run before an abortOnFail threshold may stop it (k6 `delayAbortEval`). */
  delayAbortEvalS: number;
}

/** The aggregations each metric kind answers, in the order error messages list them. */
export const AGGREGATIONS_BY_KIND: Record<MetricKind, readonly string[]> = {
  trend: ['avg', 'min', 'max', 'med', 'p(N)'],
  counter: ['count', 'rate'],
  gauge: ['value', 'min', 'max'],
  rate: ['rate'],
};

const EXAMPLE_BY_KIND: Record<MetricKind, string> = {
  trend: 'p(99)<250',
  counter: 'count==0',
  gauge: 'value>=1000',
  rate: 'rate>0.99',
};

const SIMPLE_AGGREGATIONS = new Set(['avg', 'min', 'max', 'med', 'count', 'rate', 'value']);
const NUMBER = /^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const PERCENTILE = /^\d+(?:\.\d+)?$/;
// aggregation word, optional "(…)" argument, operator characters, the rest.
const SHAPE = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(\s*([^)]*?)\s*\))?\s*([<>=!]+)\s*(.*)$/;

export type ParseOutcome = { ok: true; value: ParsedExpression } | { ok: false; problem: string };

function notAnExpression(expression: string, example: string): string {
  return `"${expression}" is not a threshold expression; expected e.g. "${example}" (aggregation operator number)`;
}

/** Label of an aggregation as written in reports: `p(99)`, `avg`. */
export function aggregationLabel(aggregation: Aggregation): string {
  return aggregation.name === 'p' ? `p(${aggregation.percentile})` : aggregation.name;
}

/**
 * Parses one expression. With `kind`, also checks that the aggregation fits the metric kind.
 * Problems read as one sentence that quotes the expression and says what is expected.
 */
export function parseThresholdExpression(expression: string, kind?: MetricKind): ParseOutcome {
  const text = expression.trim();
  const example = EXAMPLE_BY_KIND[kind ?? 'trend'];
  const shape = SHAPE.exec(text);
  if (!shape) {
    // The commonest slip: "p99<250" for "p(99)<250".
    const bareP = /^p(\d+(?:\.\d+)?)\s*([<>=!]+.*)$/.exec(text);
    const hint = bareP ? `p(${bareP[1]})${bareP[2]?.replace(/\s+/g, '')}` : example;
    return { ok: false, problem: notAnExpression(text, hint) };
  }
  const [, word = '', argument, operatorText = '', rest = ''] = shape;

  let aggregation: Aggregation;
  if (word === 'p') {
    if (argument === undefined || !PERCENTILE.test(argument)) {
      return {
        ok: false,
        problem: `"${text}": p(${argument ?? ''}) needs a percentile between 0 and 100, e.g. "p(99)" or "p(99.9)"`,
      };
    }
    const percentile = Number(argument);
    if (percentile > 100) {
      return { ok: false, problem: `"${text}": p(${argument}) is out of range; the percentile must be 0 to 100` };
    }
    aggregation = { name: 'p', percentile };
  } else if (SIMPLE_AGGREGATIONS.has(word) && argument === undefined) {
    aggregation = { name: word as Exclude<Aggregation['name'], 'p'> };
  } else if (/^p\d/.test(word)) {
    return { ok: false, problem: notAnExpression(text, `p(${word.slice(1)})${operatorText}${rest}`) };
  } else {
    const allowed = kind
      ? `a ${kind} supports ${AGGREGATIONS_BY_KIND[kind].join(', ')}`
      : 'expected one of avg, min, max, med, p(N), count, rate, value';
    return {
      ok: false,
      problem: `"${text}" uses the unknown aggregation "${word}${argument !== undefined ? `(${argument})` : ''}"; ${allowed}`,
    };
  }

  if (!(OPERATORS as readonly string[]).includes(operatorText)) {
    return {
      ok: false,
      problem: `"${text}": "${operatorText}" is not an operator; expected one of ${OPERATORS.join(' ')}`,
    };
  }
  const operator = operatorText as Operator;

  if (!NUMBER.test(rest)) {
    const unit = /^([+-]?\d+(?:\.\d+)?)\s*([a-zµ%]+)$/i.exec(rest);
    const hint = unit
      ? `numbers carry no unit (trends are milliseconds, rates per second or 0..1): write "${aggregationLabel(aggregation)}${operator}${unit[1]}"`
      : `expected e.g. "${example}" (aggregation operator number)`;
    return { ok: false, problem: `"${text}": "${rest}" is not a number; ${hint}` };
  }

  if (kind && !fitsKind(aggregation, kind)) {
    return {
      ok: false,
      problem: `"${text}" uses ${aggregationLabel(aggregation)}, which a ${kind} metric does not have; a ${kind} supports ${AGGREGATIONS_BY_KIND[kind].join(', ')}`,
    };
  }
  return { ok: true, value: { aggregation, operator, target: Number(rest) } };
}

function fitsKind(aggregation: Aggregation, kind: MetricKind): boolean {
  const name = aggregation.name === 'p' ? 'p(N)' : aggregation.name;
  return AGGREGATIONS_BY_KIND[kind].includes(name);
}

/** Closest known metric name, for "did you mean" (edit distance ≤ 3). */
function closestMetric(name: string): string | null {
  let best: string | null = null;
  let bestDistance = 4;
  for (const candidate of Object.keys(METRICS)) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

const ThresholdEntrySchema = z.union(
  [
    z.string(),
    z.strictObject({
      threshold: z.string(),
      abortOnFail: z.boolean().optional(),
      delayAbortEval: z.string().optional(),
    }),
  ],
  { error: 'expected a threshold expression like "p(99)<250" or { threshold, abortOnFail?, delayAbortEval? }' },
);

/**
 * The scenario's `thresholds` field. Embeds in the scenario schema as is; parses into ParsedThreshold[]
 * and reports every bad metric name, aggregation and expression with its path
 * (`thresholds.delivery_latency[0]: "p99<250" is not a threshold expression; …`).
 */
export const ThresholdsSchema = z
  .record(
    z.string(),
    z.array(ThresholdEntrySchema, {
      error: 'expected an array of thresholds, e.g. ["p(99)<250"]',
    }),
  )
  .transform((record, ctx): ParsedThreshold[] => {
    const parsed: ParsedThreshold[] = [];
    for (const [metric, entries] of Object.entries(record)) {
      if (metric.includes('{')) {
        ctx.addIssue({
          code: 'custom',
          path: [metric],
          message: `"${metric}": tag-filtered sub-metrics (k6 "metric{tag:value}") are not supported; use the plain metric name`,
        });
        continue;
      }
      if (!isMetricName(metric)) {
        const guess = closestMetric(metric);
        ctx.addIssue({
          code: 'custom',
          path: [metric],
          message: `unknown metric "${metric}"${guess ? `; did you mean "${guess}"?` : ''} (metrics are listed in harness/common/metrics-catalogue.ts)`,
        });
        continue;
      }
      const kind = METRICS[metric].kind;
      entries.forEach((entry, index) => {
        const spec = typeof entry === 'string' ? { threshold: entry } : entry;
        const entryPath = typeof entry === 'string' ? [metric, index] : [metric, index, 'threshold'];
        const outcome = parseThresholdExpression(spec.threshold, kind);
        if (!outcome.ok) {
          ctx.addIssue({ code: 'custom', path: entryPath, message: outcome.problem });
          return;
        }
        let delayAbortEvalS = 0;
        if (spec.delayAbortEval !== undefined) {
          const seconds = parseDurationS(spec.delayAbortEval);
          if (seconds === null) {
            ctx.addIssue({
              code: 'custom',
              path: [metric, index, 'delayAbortEval'],
              message: `"${spec.delayAbortEval}" is not a duration; expected e.g. "10s", "500ms", "1m30s"`,
            });
            return;
          }
          if (seconds > 86_400) {
            ctx.addIssue({
              code: 'custom',
              path: [metric, index, 'delayAbortEval'],
              message: 'at most 24h: the longest phase of a run',
            });
            return;
          }
          delayAbortEvalS = seconds;
        }
        parsed.push({
          ...outcome.value,
          metric,
          kind,
          expression: spec.threshold.trim(),
          abortOnFail: spec.abortOnFail ?? false,
          delayAbortEvalS,
        });
      });
    }
    return parsed;
  });

export type ThresholdsInput = z.input<typeof ThresholdsSchema>;

/** Validates a `thresholds` object on its own (outside a scenario); throws one UserError (exit 2). */
export function parseThresholds(value: unknown): ParsedThreshold[] {
  return parseOrExplain(ThresholdsSchema, value, 'thresholds', 'thresholds');
}

/** Re-parses the thresholds stored in a summary.json (`gate` re-evaluates them). */
export function thresholdsFromResults(results: readonly ThresholdResult[]): ParsedThreshold[] {
  const record: Record<string, Array<{ threshold: string; abortOnFail: boolean }>> = {};
  for (const result of results) {
    const list = record[result.metric] ?? [];
    list.push({ threshold: result.expression, abortOnFail: result.abortOnFail });
    record[result.metric] = list;
  }
  return parseOrExplain(ThresholdsSchema, record, 'thresholds in summary.json', 'thresholds');
}

/**
 * Answers a percentile the summary does not carry (e.g. p(75)) from the run's HDR histogram, in ms:
 * null when the histogram is empty, undefined when there is no histogram for that metric.
 */
export type PercentileLookup = (metric: string, percentile: number) => number | null | undefined;

export interface EvaluateOptions {
  percentile?: PercentileLookup;
}

const STORED_PERCENTILES: ReadonlyArray<[number, keyof TrendValues]> = [
  [0, 'min'],
  [50, 'med'],
  [90, 'p90'],
  [95, 'p95'],
  [99, 'p99'],
  [99.9, 'p999'],
  [100, 'max'],
];

/**
 * The aggregate a threshold compares, or null when the metric has no data. Counters without data are 0
 * (see the top of this file). Throws when a percentile is neither stored nor answerable by `percentile`.
 */
export function aggregateValue(
  threshold: Pick<ParsedThreshold, 'metric' | 'aggregation' | 'kind'>,
  summary: MetricSummary | undefined,
  options: EvaluateOptions = {},
): number | null {
  const { aggregation } = threshold;
  if (threshold.kind === 'counter' && summary === undefined) return 0;
  if (summary === undefined) return null;
  if (summary.type !== threshold.kind) {
    throw new UserError(
      `metric ${threshold.metric} is a ${summary.type} in the run's metrics but a ${threshold.kind} in the catalogue`,
    );
  }
  switch (summary.type) {
    case 'trend': {
      if (summary.count === 0) return null;
      if (aggregation.name === 'p') {
        const stored = STORED_PERCENTILES.find(([p]) => p === aggregation.percentile);
        if (stored) return summary[stored[1]];
        const looked = options.percentile?.(threshold.metric, aggregation.percentile);
        if (looked === undefined) {
          throw new UserError(
            `threshold ${threshold.metric} ${aggregationLabel(aggregation)} needs the run's HDR histogram ` +
              `(histograms/${threshold.metric}.hdr); only p(0), p(50), p(90), p(95), p(99), p(99.9), p(100) are in summary.json`,
          );
        }
        return looked;
      }
      if (aggregation.name === 'avg' || aggregation.name === 'min' || aggregation.name === 'max') {
        return summary[aggregation.name];
      }
      return aggregation.name === 'med' ? summary.med : null;
    }
    case 'counter':
      return aggregation.name === 'rate' ? summary.rate : summary.count;
    case 'gauge':
      if (aggregation.name === 'min' || aggregation.name === 'max') return summary[aggregation.name];
      return summary.value;
    case 'rate':
      return summary.passes + summary.fails === 0 ? null : summary.rate;
  }
}

export function compare(value: number, operator: Operator, target: number): boolean {
  switch (operator) {
    case '<':
      return value < target;
    case '<=':
      return value <= target;
    case '>':
      return value > target;
    case '>=':
      return value >= target;
    case '==':
    case '===':
      return value === target;
    case '!=':
      return value !== target;
  }
}

function evaluateOne(
  threshold: ParsedThreshold,
  metrics: Record<string, MetricSummary>,
  options: EvaluateOptions,
): ThresholdResult {
  const summary = metrics[threshold.metric];
  const value = aggregateValue(threshold, summary, options);
  // A counter without data was evaluated as 0 but is reported as "no data" (value null).
  const reported = summary === undefined ? null : value;
  return {
    metric: threshold.metric,
    expression: threshold.expression,
    ok: value !== null && compare(value, threshold.operator, threshold.target),
    value: reported,
    abortOnFail: threshold.abortOnFail,
  };
}

/** End-of-run verdict of every threshold, in declaration order. */
export function evaluateThresholds(
  parsed: readonly ParsedThreshold[],
  metrics: Record<string, MetricSummary>,
  options: EvaluateOptions = {},
): ThresholdResult[] {
  return parsed.map((threshold) => evaluateOne(threshold, metrics, options));
}

export interface AbortDecision {
  threshold: ParsedThreshold;
  value: number;
  /** One line for `RunSummary.aborted.reason`. */
  reason: string;
}

/**
 * During the run, with the cumulative metrics so far: the first abortOnFail threshold that fails once its
 * delayAbortEval has passed, or null. Metrics without data never abort (counters count as 0, as at the end).
 * Cheap enough to call every second.
 */
export function checkAbort(
  parsed: readonly ParsedThreshold[],
  cumulativeMetrics: Record<string, MetricSummary>,
  elapsedS: number,
  options: EvaluateOptions = {},
): AbortDecision | null {
  for (const threshold of parsed) {
    if (!threshold.abortOnFail || elapsedS < threshold.delayAbortEvalS) continue;
    const value = aggregateValue(threshold, cumulativeMetrics[threshold.metric], options);
    if (value === null || compare(value, threshold.operator, threshold.target)) continue;
    return {
      threshold,
      value,
      reason: `threshold ${threshold.metric} '${threshold.expression}' crossed at ${elapsedS.toFixed(0)}s: ${aggregationLabel(threshold.aggregation)}=${formatNumber(value)}`,
    };
  }
  return null;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
}
