import type { Dashboard } from '@grafana/schema';
import { dashboard, stat, table, timeseries } from '../lib/grafana.ts';
import {
  counterRateByLabel,
  counterRates,
  gaugeLevels,
  percentilesOverTime,
  RUN_FILTER,
  RUN_SHARD_FILTER,
} from '../lib/sql.ts';
import { ANNOTATIONS, MERGED_RUN, runVariables } from './variables.ts';

export const UID = 'cb-push-pipeline';

function ledgerStat(title: string, outcome: string, bad = false) {
  return stat(
    {
      title,
      unit: 'short',
      ...(bad
        ? {
            thresholds: [
              { color: 'green', value: null },
              { color: 'red', value: 1 },
            ],
          }
        : {}),
    },
    `SELECT sumIf(count, outcome = '${outcome}') AS ${outcome} FROM push_ledger WHERE ${RUN_SHARD_FILTER}`,
  );
}

export function pushPipeline(): Dashboard {
  return dashboard({
    uid: UID,
    title: 'Centrifugo bench · Push pipeline',
    description:
      'Push flood through the relay to the FCM / Web Push sink: enqueue rate, queue depth, deliveries, failures ' +
      'by reason, end-to-end latency, and the exact ledger (enqueued = delivered + failed + queued + unaccounted).',
    variables: runVariables({ multiRun: true }),
    annotationSql: ANNOTATIONS,
    panels: [
      ledgerStat('Enqueued', 'enqueued'),
      ledgerStat('Delivered', 'delivered'),
      ledgerStat('Failed', 'failed'),
      ledgerStat('Still queued', 'queued'),
      ledgerStat('Unaccounted', 'unaccounted', true),
      stat(
        { title: 'e2e p99 (run)', description: MERGED_RUN, unit: 'ms', decimals: 1 },
        `SELECT max(push_e2e_p99_ms) AS p99 FROM runs FINAL WHERE ${RUN_FILTER}`,
      ),
      timeseries(
        { title: 'Pushes per second: enqueued, delivered, failed', unit: 'short' },
        counterRates([
          ['enqueued', 'pushes_enqueued'],
          ['delivered', 'pushes_delivered'],
          ['failed', 'pushes_failed'],
        ]),
      ),
      timeseries({ title: 'Queue depth', unit: 'short' }, gaugeLevels([['queue_depth', 'push_queue_depth']])),
      timeseries(
        { title: 'Failures per second by reason', unit: 'short', stack: true, bars: true },
        counterRateByLabel('pushes_failed', 'reason'),
      ),
      timeseries(
        { title: 'End-to-end latency (enqueue → sink receipt)', unit: 'ms' },
        percentilesOverTime('push_e2e_latency'),
      ),
      timeseries(
        { title: 'Enqueue call duration (send_push_notification)', unit: 'ms' },
        percentilesOverTime('push_enqueue_duration', [
          ['p50', 0.5],
          ['p99', 0.99],
        ]),
      ),
      table(
        { title: 'Push ledger', w: 12 },
        `SELECT run_id, outcome, reason, sum(count) AS pushes
FROM push_ledger
WHERE ${RUN_SHARD_FILTER}
GROUP BY run_id, outcome, reason
ORDER BY run_id, outcome, reason`,
      ),
    ],
  });
}
