/**
 * Every metric the harness reports, with its kind and unit: one list that the engine emits against, the
 * gate validates thresholds against, and results (ClickHouse, dashboards, reports) read column names from.
 * Names are snake_case with an area prefix where one helps (k6 style: `ws_connecting`, `http_req_duration`).
 *
 * Kinds follow k6: a `trend` is a latency distribution (HDR histogram, ms), a `counter` a count with a
 * rate, a `gauge` a level sampled each second (its summary keeps the last, min and max), a `rate` a
 * fraction of passes (0..1).
 */
export type MetricKind = 'trend' | 'counter' | 'gauge' | 'rate';

export interface MetricDefinition {
  kind: MetricKind;
  unit: 'ms' | 'count' | 'messages' | 'connections' | 'bytes' | 'ratio' | 'pushes' | 'requests';
  description: string;
}

export const METRICS = {
  // Delivery through Centrifugo (engine: subscribers and publishers)
  delivery_latency: {
    kind: 'trend',
    unit: 'ms',
    description: 'intended send time → received by a subscriber (coordinated-omission safe)',
  },
  connect_duration: { kind: 'trend', unit: 'ms', description: 'WebSocket open → connect reply' },
  subscribe_duration: { kind: 'trend', unit: 'ms', description: 'subscribe command → subscribe reply' },
  publish_duration: { kind: 'trend', unit: 'ms', description: 'publish/broadcast call: request sent → response' },
  publish_delay: {
    kind: 'trend',
    unit: 'ms',
    description: 'intended send time → request actually sent (publisher lateness; high = generator saturated)',
  },
  creation_duration: { kind: 'trend', unit: 'ms', description: 'chat app: message creation (transaction) time' },
  broadcast_duration: { kind: 'trend', unit: 'ms', description: 'chat app: broadcast call to Centrifugo' },
  reconnect_duration: { kind: 'trend', unit: 'ms', description: 'disconnect → subscribed again (with recovery)' },
  messages_published: { kind: 'counter', unit: 'messages', description: 'publications accepted by the target' },
  messages_expected: { kind: 'counter', unit: 'messages', description: 'deliveries owed: published × subscribers' },
  messages_delivered: { kind: 'counter', unit: 'messages', description: 'first deliveries received' },
  messages_lost: { kind: 'counter', unit: 'messages', description: 'deliveries never received after the drain' },
  messages_duplicated: { kind: 'counter', unit: 'messages', description: 'deliveries received more than once' },
  messages_reordered: { kind: 'counter', unit: 'messages', description: 'deliveries received after a later one' },
  messages_recovered: { kind: 'counter', unit: 'messages', description: 'deliveries received through recovery' },
  publish_errors: { kind: 'counter', unit: 'requests', description: 'publish/broadcast calls that failed' },
  dropped_iterations: {
    kind: 'counter',
    unit: 'count',
    description: 'messages not sent: no free publisher when due (k6 meaning)',
  },
  reconnects: { kind: 'counter', unit: 'connections', description: 'subscriber reconnects after a disconnect' },
  errors: { kind: 'counter', unit: 'count', description: 'errors of any kind (by code in errors_by_code)' },
  subscribers_connected: { kind: 'gauge', unit: 'connections', description: 'subscribed connections' },
  // Push pipeline (relay + sink)
  push_enqueue_duration: { kind: 'trend', unit: 'ms', description: 'send_push_notification call duration' },
  push_e2e_latency: { kind: 'trend', unit: 'ms', description: 'enqueue → accepted by the push sink (receipt)' },
  pushes_enqueued: { kind: 'counter', unit: 'pushes', description: 'pushes accepted by the relay' },
  pushes_delivered: { kind: 'counter', unit: 'pushes', description: 'pushes accepted by the sink (receipts)' },
  pushes_failed: { kind: 'counter', unit: 'pushes', description: 'pushes failed permanently' },
  pushes_unaccounted: {
    kind: 'counter',
    unit: 'pushes',
    description: 'enqueued − delivered − failed − queued at the end: must be 0 (push_ledger.unaccounted)',
  },
  push_queue_depth: { kind: 'gauge', unit: 'pushes', description: 'pushes enqueued and not yet settled' },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name);
}
