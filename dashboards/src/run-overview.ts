import type { Dashboard } from '@grafana/schema';
import { dashboard, stat, table, timeseries } from '../lib/grafana.ts';
import {
  counterRates,
  gaugeLevels,
  percentilesOverTime,
  RUN_FILTER,
  RUN_SHARD_FILTER,
  RUNS_IN_RANGE,
  SELECTED_RUNS,
  SHARD_OF_ROW,
  TIME_BUCKET,
} from '../lib/sql.ts';
import { ANNOTATIONS, MERGED_RUN, runVariables } from './variables.ts';

export const UID = 'cb-run-overview';

/** A load-generator column per shard over time (series `shard 1`, …; `shard none`: not sharded). */
function perShardGenerator(column: string): string {
  return `SELECT ${TIME_BUCKET} AS time, concat('shard ', ${SHARD_OF_ROW}) AS shard_name, ${column}
FROM generator_seconds
WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER}
GROUP BY time, shard_name
ORDER BY time`;
}

const VERDICT_COLORS = { pass: 'green', fail: 'red', invalid: 'orange', aborted: 'purple', running: 'blue' };

export function runOverview(): Dashboard {
  return dashboard({
    uid: UID,
    title: 'Centrifugo bench · Run overview',
    description: 'One run: verdict, delivery, throughput, the load generator and the timeline.',
    variables: runVariables({ multiRun: false }),
    annotationSql: ANNOTATIONS,
    panels: [
      stat(
        { title: 'Verdict', description: MERGED_RUN, colors: VERDICT_COLORS },
        `SELECT verdict FROM ${SELECTED_RUNS}`,
      ),
      stat({ title: 'Duration', description: MERGED_RUN, unit: 's' }, `SELECT duration_s FROM ${SELECTED_RUNS}`),
      stat(
        { title: 'Delivery p99', description: MERGED_RUN, unit: 'ms', decimals: 2 },
        `SELECT delivery_p99_ms FROM ${SELECTED_RUNS}`,
      ),
      stat(
        { title: 'Delivered', description: MERGED_RUN, unit: 'short' },
        `SELECT messages_delivered FROM ${SELECTED_RUNS}`,
      ),
      stat(
        {
          title: 'Lost',
          description: MERGED_RUN,
          unit: 'short',
          thresholds: [
            { color: 'green', value: null },
            { color: 'red', value: 1 },
          ],
        },
        `SELECT messages_lost FROM ${SELECTED_RUNS}`,
      ),
      stat(
        {
          title: 'Duplicated',
          description: MERGED_RUN,
          unit: 'short',
          thresholds: [
            { color: 'green', value: null },
            { color: 'orange', value: 1 },
          ],
        },
        `SELECT messages_duplicated FROM ${SELECTED_RUNS}`,
      ),
      table(
        { title: 'Run', description: MERGED_RUN, h: 5 },
        `SELECT run_id, scenario, mode, engine, nodes, status, if(valid = 1, 'yes', 'NO') AS valid,
  arrayStringConcat(invalid_reasons, '; ') AS invalid_reasons,
  concat(toString(thresholds_total - thresholds_failed), '/', toString(thresholds_total)) AS thresholds_passed,
  centrifugo_version, substring(git_commit, 1, 12) AS git_commit, hostname, cpus, started_at
FROM ${SELECTED_RUNS}`,
      ),
      timeseries(
        {
          title: 'Delivery latency (merged histograms)',
          unit: 'ms',
          w: 24,
          description: 'Intended send time → received.',
        },
        percentilesOverTime('delivery_latency'),
      ),
      timeseries(
        {
          title: 'Throughput',
          unit: 'short',
          description: 'Per second: publications accepted, deliveries owed and received.',
        },
        counterRates([
          ['published', 'messages_published'],
          ['expected', 'messages_expected'],
          ['delivered', 'messages_delivered'],
        ]),
      ),
      timeseries(
        { title: 'Subscribers connected', unit: 'short' },
        gaugeLevels([['connected', 'subscribers_connected']]),
      ),
      timeseries(
        {
          title: 'Load generator CPU',
          unit: 'percentunit',
          description: 'Above ~0.9 the generator, not the system, limits the run.',
        },
        `SELECT ${TIME_BUCKET} AS time, avg(cpu) AS cpu
FROM generator_seconds
WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER}
GROUP BY time
ORDER BY time`,
      ),
      timeseries(
        { title: 'Load generator event-loop delay p99', unit: 'ms' },
        `SELECT ${TIME_BUCKET} AS time, max(event_loop_delay_p99_ms) AS event_loop_p99, max(rss_bytes) / 1048576 AS rss_mib
FROM generator_seconds
WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER}
GROUP BY time
ORDER BY time`,
      ),
      timeseries(
        {
          title: 'Load generator CPU per shard',
          unit: 'percentunit',
          description: 'A sharded run: one series per shard (its own machine or process), to find the one that limits.',
        },
        perShardGenerator('avg(cpu) AS cpu'),
      ),
      timeseries(
        { title: 'Load generator event-loop delay p99 per shard', unit: 'ms' },
        perShardGenerator('max(event_loop_delay_p99_ms) AS event_loop_p99'),
      ),
      table(
        {
          title: 'Thresholds',
          description: "The whole run's (a sharded run: judged on all shards merged); the shard filter does not apply.",
          w: 12,
        },
        `SELECT metric, expression, if(ok = 1, 'ok', 'FAILED') AS result,
  if(has_value = 1, toString(round(value, 3)), '-') AS value, if(abort_on_fail = 1, 'yes', '') AS abort_on_fail
FROM thresholds
WHERE ${RUN_FILTER}
ORDER BY ok, metric`,
      ),
      table(
        { title: 'Timeline', w: 12 },
        `SELECT t AS time, at_s, ${SHARD_OF_ROW} AS shard_name, kind, name, detail
FROM events
WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER}
ORDER BY ts_us`,
      ),
      table(
        {
          title: 'Runs in the time range (click a run to open it)',
          links: [
            {
              title: 'Open this run',
              // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana data-link syntax, not a JS template
              url: '/d/cb-run-overview?var-run=${__data.fields.run_id}&from=${__data.fields.from_ms}&to=${__data.fields.to_ms}',
            },
          ],
        },
        `SELECT run_id, started_at, scenario, mode, engine, nodes, verdict, delivery_p99_ms, messages_lost,
  intDiv(started_us, 1000) - 5000 AS from_ms,
  if(ended_us = 0, toUInt64(toUnixTimestamp(now())) * 1000, intDiv(ended_us, 1000) + 5000) AS to_ms
FROM runs FINAL
WHERE ${RUNS_IN_RANGE} AND $__conditionalAll(mode IN (\${mode:singlequote}), $mode)
ORDER BY started_us DESC
LIMIT 50`,
      ),
    ],
  });
}
