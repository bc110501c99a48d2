import type { Dashboard } from '@grafana/schema';
import { dashboard, timeseries } from '../lib/grafana.ts';
import {
  counterRates,
  gaugeLevels,
  percentilesOverTime,
  quantileOfMetricsOverTime,
  RUN_SHARD_FILTER,
  TIME_BUCKET,
} from '../lib/sql.ts';
import { ANNOTATIONS, runVariables } from './variables.ts';

export const UID = 'cb-connections';

export function connections(): Dashboard {
  return dashboard({
    uid: UID,
    title: 'Centrifugo bench · Connections',
    description: 'The subscriber fleet: connected, connect and subscribe times, reconnects, deliveries per node.',
    variables: runVariables({ multiRun: true }),
    annotationSql: ANNOTATIONS,
    panels: [
      timeseries(
        { title: 'Subscribers connected', unit: 'short', w: 24 },
        gaugeLevels([['connected', 'subscribers_connected']]),
      ),
      timeseries(
        { title: 'Connect duration (WebSocket open → connect reply)', unit: 'ms' },
        percentilesOverTime('connect_duration', [
          ['p50', 0.5],
          ['p90', 0.9],
          ['p99', 0.99],
        ]),
      ),
      timeseries(
        { title: 'p99: connect, subscribe, reconnect', unit: 'ms' },
        quantileOfMetricsOverTime(['connect_duration', 'subscribe_duration', 'reconnect_duration'], 0.99),
      ),
      timeseries(
        { title: 'Reconnects per second', unit: 'short', bars: true },
        counterRates([['reconnects', 'reconnects']]),
      ),
      timeseries(
        {
          title: 'Sampled deliveries per second, per Centrifugo node',
          unit: 'short',
          description: 'From samples.ndjson (sampled).',
        },
        `SELECT ${TIME_BUCKET} AS time, node, count() / $__interval_s AS per_second
FROM deliveries
WHERE $__timeFilter(t) AND ${RUN_SHARD_FILTER}
GROUP BY time, node
ORDER BY time`,
      ),
    ],
  });
}
