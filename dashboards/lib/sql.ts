/**
 * SQL fragments the dashboards share. Everything here runs on ClickHouse 18.16 and current ClickHouse,
 * and uses only the plugin macros that expand to 18.16 SQL: `$__timeFilter`, `$__fromTime`,
 * `$__toTime`, `$__interval_s`, `$__conditionalAll` — never `$__timeInterval`, `$__timeGroup` or the
 * `*_ms` macros (they emit toStartOfInterval / DateTime64). See ../README.md.
 */
import type { MetricName } from '../../harness/common/metrics-catalogue.ts';
import { heatmapBucketMsSql, histQuantileMsSql } from '../../harness/results/clickhouse/index.ts';

/** Portable replacement for `$__timeInterval(t)` (toStartOfInterval is not in 18.16). */
export const TIME_BUCKET = 'toDateTime(intDiv(toUInt32(t), $__interval_s) * $__interval_s)';

/** Rows of the selected runs (`run` variable; single or multi, "All" = no filter). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax, not a JS template
export const RUN_FILTER = '$__conditionalAll(run_id IN (${run:singlequote}), $run)';

/**
 * A row's shard as the `shard` variable lists it. A run that was not sharded writes shard '' and reads
 * 'none' here, because the plugin's `$__conditionalAll` takes a sole '' value for "All".
 */
export const SHARD_OF_ROW = "if(shard = '', 'none', shard)";

/**
 * Rows of the selected shards (`shard` variable; multi, "All" = every shard: the merged view). Every query
 * on a table whose rows carry `shard` has it; `runs` and `thresholds` hold the merged run only.
 */
export const SHARD_FILTER = `$__conditionalAll(${SHARD_OF_ROW} IN (\${shard:singlequote}), $shard)`;

/** The run and shard filters together: the rows of the selected shards of the selected runs. */
export const RUN_SHARD_FILTER = `${RUN_FILTER} AND ${SHARD_FILTER}`;

export function metricIs(metric: MetricName): string {
  return `metric = '${metric}'`;
}

export function metricIn(metrics: readonly MetricName[]): string {
  return `metric IN (${metrics.map((m) => `'${m}'`).join(', ')})`;
}

export function sumOf(metric: MetricName): string {
  return `sumIf(value, ${metricIs(metric)})`;
}

/**
 * The q-quantile (ms) of a merged histogram, NaN when it is empty (no data for that metric). A bucket's
 * upper bound can lie above the largest value seen: with `maxMs` (the engine's exact max) it is capped.
 */
export function quantileMs(hist: string, q: number, maxMs?: string): string {
  const value = maxMs ? `least(${histQuantileMsSql(hist, q)}, ${maxMs})` : histQuantileMsSql(hist, q);
  return `if(empty(tupleElement(${hist}, 1)), nan, ${value})`;
}

export const PERCENTILES: readonly [string, number][] = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p99', 0.99],
  ['p99.9', 0.999],
];

/**
 * Percentiles of a trend over time, merged from the per-second histograms: correct for any Grafana
 * interval and across shards and runs (per-second percentiles cannot be averaged), plus the max.
 */
export function percentilesOverTime(metric: MetricName, percentiles = PERCENTILES, withMax = true): string {
  const columns = percentiles.map(([label, q]) => `least(${histQuantileMsSql('hist', q)}, max_ms) AS "${label}"`);
  return `
SELECT time, ${columns.join(', ')}${withMax ? ', max_ms AS "max"' : ''}
FROM (
  SELECT ${TIME_BUCKET} AS time, sumMap(hist_idx, hist_cnt) AS hist, max(max_ms) AS max_ms
  FROM trend_seconds
  WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER} AND ${metricIs(metric)} AND notEmpty(hist_idx)
  GROUP BY time
)
ORDER BY time`;
}

/** One percentile of several trends over time, one series per trend. */
export function quantileOfMetricsOverTime(metrics: readonly MetricName[], q: number): string {
  const columns = metrics.map((m) => `${quantileMs(`h_${m}`, q)} AS ${m}`);
  const maps = metrics.map((m) => `sumMapIf(hist_idx, hist_cnt, ${metricIs(m)}) AS h_${m}`);
  return `
SELECT time, ${columns.join(', ')}
FROM (
  SELECT ${TIME_BUCKET} AS time, ${maps.join(', ')}
  FROM trend_seconds
  WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER} AND ${metricIn(metrics)} AND notEmpty(hist_idx)
  GROUP BY time
)
ORDER BY time`;
}

/** One percentile of a trend over time, one series per run (labelled by mode and run id). */
export function quantilePerRunOverTime(metric: MetricName, q: number): string {
  return `
SELECT time, concat(mode, ' ', run_id) AS run, ${histQuantileMsSql('hist', q)} AS value
FROM (
  SELECT ${TIME_BUCKET} AS time, run_id, sumMap(hist_idx, hist_cnt) AS hist
  FROM trend_seconds
  WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER} AND ${metricIs(metric)} AND notEmpty(hist_idx)
  GROUP BY time, run_id
) AS h
ANY LEFT JOIN (SELECT run_id, mode FROM runs FINAL) AS r USING run_id
ORDER BY time`;
}

/**
 * One percentile of a trend over time, one series per shard (`shard 1`, …; `none` for a run that was not
 * sharded): the slow shard of a sharded run stands out. Runs are merged per shard index.
 */
export function quantilePerShardOverTime(metric: MetricName, q: number): string {
  return `
SELECT time, concat('shard ', shard_label) AS shard, ${histQuantileMsSql('hist', q)} AS value
FROM (
  SELECT ${TIME_BUCKET} AS time, ${SHARD_OF_ROW} AS shard_label, sumMap(hist_idx, hist_cnt) AS hist
  FROM trend_seconds
  WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER} AND ${metricIs(metric)} AND notEmpty(hist_idx)
  GROUP BY time, shard_label
)
ORDER BY time`;
}

/** Latency heatmap: per time bucket, counts per log bucket (`le`, ms upper bound). */
export function latencyHeatmap(metric: MetricName): string {
  return `
SELECT time, le, sum(cnt) AS deliveries
FROM (
  SELECT ${TIME_BUCKET} AS time, toString(${heatmapBucketMsSql('idx', 4)}) AS le, cnt
  FROM trend_seconds
  ARRAY JOIN hist_idx AS idx, hist_cnt AS cnt
  WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER} AND ${metricIs(metric)}
)
GROUP BY time, le
ORDER BY time`;
}

/**
 * Counters as per-second rates, one column per counter (named by `columns`). Unlabelled rows only: a
 * labelled key (`pushes_failed{reason=…}`) is a breakdown of its unlabelled total, not more of it.
 */
export function counterRates(columns: readonly [string, MetricName][]): string {
  return `
SELECT ${TIME_BUCKET} AS time, ${columns.map(([alias, m]) => `${sumOf(m)} / $__interval_s AS ${alias}`).join(', ')}
FROM value_seconds
WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER} AND kind = 'counter' AND label_name = '' AND ${metricIn(columns.map(([, m]) => m))}
GROUP BY time
ORDER BY time`;
}

/** Gauges: summed over shards each second, then averaged over the interval. */
export function gaugeLevels(columns: readonly [string, MetricName][]): string {
  const names = columns.map(([alias]) => alias);
  return `
SELECT time, ${names.map((alias) => `avg(${alias}) AS ${alias}`).join(', ')}
FROM (
  SELECT ${TIME_BUCKET} AS time, ts_us, ${columns.map(([alias, m]) => `${sumOf(m)} AS ${alias}`).join(', ')}
  FROM value_seconds
  WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER} AND kind = 'gauge' AND label_name = '' AND ${metricIn(columns.map(([, m]) => m))}
  GROUP BY time, ts_us
)
GROUP BY time
ORDER BY time`;
}

/** A labelled counter's breakdown as per-second rates, one series per label value (failures by reason). */
export function counterRateByLabel(metric: MetricName, seriesName: string): string {
  return `
SELECT ${TIME_BUCKET} AS time, label_value AS ${seriesName}, sum(value) / $__interval_s AS per_second
FROM value_seconds
WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER} AND kind = 'counter' AND ${metricIs(metric)} AND label_name != ''
GROUP BY time, ${seriesName}
ORDER BY time`;
}

/** The newest version of each selected run's `runs` row. */
export const SELECTED_RUNS = `runs FINAL WHERE ${RUN_FILTER}`;

/** Runs overlapping the dashboard's time range (started before its end, not ended before its start). */
export const RUNS_IN_RANGE =
  'started_at <= $__toTime AND (ended_us = 0 OR toDateTime(intDiv(ended_us, 1000000)) >= $__fromTime)';

/** The `run` and `mode` template variables every dashboard has. */
export const RUN_VARIABLE_SQL = `
SELECT run_id, concat(run_id, '  ', scenario, ' · ', mode, ' · ', verdict)
FROM runs FINAL
WHERE ${RUNS_IN_RANGE} AND $__conditionalAll(mode IN (\${mode:singlequote}), $mode)
ORDER BY started_us DESC
LIMIT 200`;

export const MODE_VARIABLE_SQL = `
SELECT DISTINCT mode
FROM runs FINAL
WHERE ${RUNS_IN_RANGE}
ORDER BY mode`;

/**
 * The `shard` template variable: the shards of the selected runs, from their rows (value as SHARD_OF_ROW,
 * shortest first so shard 10 follows 9).
 */
export const SHARD_VARIABLE_SQL = `
SELECT ${SHARD_OF_ROW} AS value, if(shard = '', 'not sharded', concat('shard ', shard)) AS text
FROM trend_seconds
WHERE $__timeFilter(t) AND ${RUN_FILTER}
GROUP BY shard
ORDER BY length(shard), shard`;

/** Timeline events of the selected runs, as Grafana annotations. */
export const EVENTS_ANNOTATION_SQL = `
SELECT t AS time, concat(kind, ': ', name, if(detail = '', '', concat(' (', detail, ')'))) AS text, kind AS tags
FROM events
WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER}
ORDER BY time`;
