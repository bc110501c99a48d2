import type { Dashboard } from '@grafana/schema';
import { dashboard, heatmap, table, timeseries } from '../lib/grafana.ts';
import {
  latencyHeatmap,
  PERCENTILES,
  percentilesOverTime,
  quantileMs,
  quantileOfMetricsOverTime,
  quantilePerRunOverTime,
  quantilePerShardOverTime,
  RUN_SHARD_FILTER,
  TIME_BUCKET,
} from '../lib/sql.ts';
import { ANNOTATIONS, runVariables } from './variables.ts';

export const UID = 'cb-delivery-latency';

export function deliveryLatency(): Dashboard {
  return dashboard({
    uid: UID,
    title: 'Centrifugo bench · Delivery latency',
    description:
      'Delivery latency percentiles over time from merged per-second histograms, the latency heatmap, and the ' +
      'creation / broadcast / delivery split of the GrandChat table.',
    variables: runVariables({ multiRun: true }),
    annotationSql: ANNOTATIONS,
    panels: [
      timeseries(
        { title: 'Delivery latency percentiles', unit: 'ms', w: 24, logScale: true },
        percentilesOverTime('delivery_latency'),
      ),
      heatmap({ title: 'Delivery latency heatmap', unit: 'ms', w: 24, h: 10 }, latencyHeatmap('delivery_latency')),
      timeseries(
        { title: 'Latency split p99: creation / broadcast / delivery', unit: 'ms' },
        quantileOfMetricsOverTime(['creation_duration', 'broadcast_duration', 'delivery_latency'], 0.99),
      ),
      timeseries(
        {
          title: 'Publisher p99: call duration and lateness',
          unit: 'ms',
          description: 'publish_delay high = the generator could not keep the schedule (run may be invalid).',
        },
        quantileOfMetricsOverTime(['publish_duration', 'publish_delay'], 0.99),
      ),
      timeseries({ title: 'Delivery p99 per run', unit: 'ms' }, quantilePerRunOverTime('delivery_latency', 0.99)),
      timeseries(
        {
          title: 'Delivery p99 per shard',
          unit: 'ms',
          description: 'A sharded run: one series per load-generator shard, to find a slow one.',
        },
        quantilePerShardOverTime('delivery_latency', 0.99),
      ),
      timeseries(
        {
          title: 'Sampled deliveries: p99 per Centrifugo node',
          unit: 'ms',
          description: 'From samples.ndjson (sampled).',
        },
        `SELECT ${TIME_BUCKET} AS time, node, round(quantileTDigest(0.99)(latency_us) / 1000, 3) AS p99
FROM deliveries
WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER}
GROUP BY time, node
ORDER BY time`,
      ),
      table(
        { title: 'Whole-run percentiles per trend (ms, merged histograms)' },
        `SELECT run_id, metric, n AS samples, ${PERCENTILES.map(([label, q]) => `${quantileMs('hist', q, 'max_ms')} AS "${label}"`).join(', ')}, max_ms AS max
FROM (
  SELECT run_id, metric, sumMap(hist_idx, hist_cnt) AS hist, sum(count) AS n, max(max_ms) AS max_ms
  FROM trend_seconds
  WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER}
  GROUP BY run_id, metric
)
ORDER BY run_id, metric`,
      ),
    ],
  });
}
