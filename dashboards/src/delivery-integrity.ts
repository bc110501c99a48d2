import type { Dashboard } from '@grafana/schema';
import { dashboard, stat, table, timeseries } from '../lib/grafana.ts';
import { counterRates, percentilesOverTime, RUN_FILTER, SELECTED_RUNS } from '../lib/sql.ts';
import { ANNOTATIONS, MERGED_RUN, runVariables } from './variables.ts';

export const UID = 'cb-delivery-integrity';

const BAD = [
  { color: 'green', value: null },
  { color: 'red', value: 1 },
];

export function deliveryIntegrity(): Dashboard {
  return dashboard({
    uid: UID,
    title: 'Centrifugo bench · Loss, duplicates, reconnects',
    description: 'Delivery accounting per run: every delivery owed is received once, or counted as lost.',
    variables: runVariables({ multiRun: true }),
    annotationSql: ANNOTATIONS,
    panels: [
      stat(
        {
          title: 'Loss ratio',
          description: MERGED_RUN,
          unit: 'percentunit',
          decimals: 4,
          thresholds: [
            { color: 'green', value: null },
            { color: 'red', value: 0.000001 },
          ],
        },
        `SELECT sum(messages_lost) / greatest(sum(messages_expected), 1) AS loss_ratio FROM ${SELECTED_RUNS}`,
      ),
      stat(
        { title: 'Lost', thresholds: BAD, description: MERGED_RUN },
        `SELECT sum(messages_lost) AS lost FROM ${SELECTED_RUNS}`,
      ),
      stat(
        { title: 'Duplicated', thresholds: BAD, description: MERGED_RUN },
        `SELECT sum(messages_duplicated) AS duplicated FROM ${SELECTED_RUNS}`,
      ),
      stat(
        { title: 'Reordered', description: MERGED_RUN },
        `SELECT sum(messages_reordered) AS reordered FROM ${SELECTED_RUNS}`,
      ),
      stat(
        { title: 'Recovered', description: MERGED_RUN },
        `SELECT sum(messages_recovered) AS recovered FROM ${SELECTED_RUNS}`,
      ),
      stat(
        { title: 'Reconnects', description: MERGED_RUN },
        `SELECT sum(reconnects) AS reconnects FROM ${SELECTED_RUNS}`,
      ),
      timeseries(
        { title: 'Lost, duplicated, reordered, recovered per second', unit: 'short', bars: true },
        counterRates([
          ['lost', 'messages_lost'],
          ['duplicated', 'messages_duplicated'],
          ['reordered', 'messages_reordered'],
          ['recovered', 'messages_recovered'],
        ]),
      ),
      timeseries(
        { title: 'Reconnects and errors per second', unit: 'short', bars: true },
        counterRates([
          ['reconnects', 'reconnects'],
          ['errors', 'errors'],
          ['publish_errors', 'publish_errors'],
        ]),
      ),
      timeseries(
        { title: 'Reconnect duration (disconnect → subscribed again)', unit: 'ms' },
        percentilesOverTime('reconnect_duration', [
          ['p50', 0.5],
          ['p99', 0.99],
        ]),
      ),
      table(
        { title: 'Delivery accounting per run', description: MERGED_RUN, w: 12 },
        `SELECT run_id, mode, messages_expected AS expected, messages_delivered AS delivered, messages_lost AS lost,
  messages_duplicated AS duplicated, messages_reordered AS reordered, messages_recovered AS recovered,
  toInt64(messages_expected) - toInt64(messages_delivered) - toInt64(messages_lost) AS unaccounted
FROM ${SELECTED_RUNS}
ORDER BY started_us DESC`,
      ),
      table(
        { title: 'Errors by code', description: MERGED_RUN, w: 12 },
        `SELECT run_id, code, n AS occurrences
FROM runs FINAL
ARRAY JOIN error_codes AS code, error_counts AS n
WHERE ${RUN_FILTER}
ORDER BY occurrences DESC`,
      ),
    ],
  });
}
