import type { Dashboard } from '@grafana/schema';
import type { MetricName } from '../../harness/common/metrics-catalogue.ts';
import { barchart, dashboard, table, timeseries } from '../lib/grafana.ts';
import { metricIn, metricIs, quantileMs, quantilePerRunOverTime, RUN_FILTER, RUN_SHARD_FILTER } from '../lib/sql.ts';
import { ANNOTATIONS, MERGED_RUN, runVariables } from './variables.ts';

export const UID = 'cb-mode-comparison';

const SPLIT: readonly [string, MetricName][] = [
  ['creation', 'creation_duration'],
  ['broadcast', 'broadcast_duration'],
  ['delivery', 'delivery_latency'],
];

/** Per-run merged histograms of the split metrics, one `h_<name>` column each. */
const PER_RUN_HISTOGRAMS = `
  SELECT run_id, ${SPLIT.map(([name, m]) => `sumMapIf(hist_idx, hist_cnt, ${metricIs(m)}) AS h_${name}`).join(', ')}
  FROM trend_seconds
  WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER} AND ${metricIn(SPLIT.map(([, m]) => m))}
  GROUP BY run_id`;

export function modeComparison(): Dashboard {
  return dashboard({
    uid: UID,
    title: 'Centrifugo bench · Broadcast modes compared',
    description:
      'The same workload through different broadcast modes (api, outbox, cdc, …), side by side: the GrandChat ' +
      '"Scale" table, measured. Pick modes and runs with the variables.',
    variables: runVariables({ multiRun: true }),
    annotationSql: ANNOTATIONS,
    refresh: '30s',
    panels: [
      table(
        {
          title: 'Creation / broadcast / delivery latency and loss per run (ms)',
          description:
            'Latencies: merged histograms of the selected shards. Lost, duplicated, loss ratio, verdict: the whole ' +
            'run (a sharded run: all shards merged).',
          h: 9,
        },
        `SELECT run_id, mode, engine, nodes,
  ${SPLIT.flatMap(([name]) => [`${quantileMs(`h_${name}`, 0.5)} AS ${name}_p50`, `${quantileMs(`h_${name}`, 0.99)} AS ${name}_p99`]).join(',\n  ')},
  ${quantileMs('h_delivery', 0.999)} AS delivery_p999,
  messages_lost AS lost, messages_duplicated AS duplicated,
  messages_lost / greatest(messages_expected, 1) AS loss_ratio, verdict
FROM (${PER_RUN_HISTOGRAMS}
) AS h
ANY LEFT JOIN (
  SELECT run_id, mode, engine, nodes, messages_lost, messages_duplicated, messages_expected, verdict, started_us
  FROM runs FINAL
) AS r USING run_id
ORDER BY mode, started_us`,
      ),
      barchart(
        { title: 'Delivery latency by mode (all selected runs merged)', unit: 'ms', xField: 'mode' },
        `SELECT mode, ${quantileMs('h', 0.5)} AS p50, ${quantileMs('h', 0.99)} AS p99, ${quantileMs('h', 0.999)} AS "p99.9"
FROM (
  SELECT mode, sumMap(hist_idx, hist_cnt) AS h
  FROM trend_seconds
  ANY LEFT JOIN (SELECT run_id, mode FROM runs FINAL) AS r USING run_id
  WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER} AND ${metricIs('delivery_latency')} AND notEmpty(hist_idx)
  GROUP BY mode
)
ORDER BY mode`,
      ),
      barchart(
        { title: 'p99 split by mode: creation / broadcast / delivery', unit: 'ms', xField: 'mode' },
        `SELECT mode, ${SPLIT.map(([name]) => `${quantileMs(`h_${name}`, 0.99)} AS ${name}`).join(', ')}
FROM (
  SELECT mode, ${SPLIT.map(([name, m]) => `sumMapIf(hist_idx, hist_cnt, ${metricIs(m)}) AS h_${name}`).join(', ')}
  FROM trend_seconds
  ANY LEFT JOIN (SELECT run_id, mode FROM runs FINAL) AS r USING run_id
  WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER} AND ${metricIn(SPLIT.map(([, m]) => m))}
  GROUP BY mode
)
ORDER BY mode`,
      ),
      barchart(
        { title: 'Loss ratio by mode', description: MERGED_RUN, unit: 'percentunit', xField: 'mode' },
        `SELECT mode, sum(messages_lost) / greatest(sum(messages_expected), 1) AS loss_ratio,
  sum(messages_duplicated) / greatest(sum(messages_expected), 1) AS duplicate_ratio
FROM runs FINAL
WHERE ${RUN_FILTER}
GROUP BY mode
ORDER BY mode`,
      ),
      timeseries({ title: 'Delivery p99 per run', unit: 'ms' }, quantilePerRunOverTime('delivery_latency', 0.99)),
    ],
  });
}
