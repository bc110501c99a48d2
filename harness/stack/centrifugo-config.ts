/**
 * Centrifugo v6 configuration, generated per run from a few typed choices. Only v6 nested keys: the v4/v5
 * flat keys (`token_hmac_secret_key`, `api_key`) that old guides show are silently ignored by v6.
 * Facts: ../shared/reference/centrifugo.md §1.
 */

export type CentrifugoEngine = 'memory' | 'redis' | 'nats';

/** A consumer Centrifugo runs for a broadcast mode (the modes themselves live in the chat app). */
export type CentrifugoConsumer =
  | {
      type: 'postgresql';
      name: string;
      dsn: string;
      outboxTable: string;
      partitions: number;
      notificationChannel: string;
    }
  | { type: 'redis_stream'; name: string; redisUrl: string; stream: string; group: string; workers: number }
  | {
      type: 'nats_jetstream';
      name: string;
      natsUrl: string;
      streamName: string;
      subjects: string[];
      durableName: string;
      useExistingConsumer?: boolean;
    }
  | { type: 'kafka'; name: string; brokers: string[]; topics: string[]; consumerGroup: string };

export interface CentrifugoConfigInput {
  engine: CentrifugoEngine;
  /** Required for engine `redis` (and used by `nats` for nothing). */
  redisUrl?: string;
  natsUrl?: string;
  hmacSecret: string;
  apiKey: string;
  consumers?: CentrifugoConsumer[];
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** History kept per personal channel: recovery after a reconnect needs it. */
  personalHistorySize?: number;
  personalHistoryTtl?: string;
  /** Per-connection outgoing queue; a slow subscriber over it is disconnected with 3008. */
  clientQueueMaxSize?: number;
  pingInterval?: string;
  pongTimeout?: string;
}

export type CentrifugoConfig = Record<string, unknown>;

function consumerConfig(consumer: CentrifugoConsumer): Record<string, unknown> {
  switch (consumer.type) {
    case 'postgresql':
      return {
        name: consumer.name,
        type: 'postgresql',
        enabled: true,
        postgresql: {
          dsn: consumer.dsn,
          outbox_table_name: consumer.outboxTable,
          num_partitions: consumer.partitions,
          partition_select_limit: 100,
          partition_poll_interval: '300ms',
          partition_notification_channel: consumer.notificationChannel,
        },
      };
    case 'redis_stream':
      return {
        name: consumer.name,
        type: 'redis_stream',
        enabled: true,
        redis_stream: {
          address: [consumer.redisUrl],
          streams: [consumer.stream],
          consumer_group: consumer.group,
          num_workers: consumer.workers,
          visibility_timeout: '30s',
          payload_value: 'payload',
          method_value: 'method',
        },
      };
    case 'nats_jetstream':
      return {
        name: consumer.name,
        type: 'nats_jetstream',
        enabled: true,
        nats_jetstream: {
          url: consumer.natsUrl,
          stream_name: consumer.streamName,
          subjects: consumer.subjects,
          durable_consumer_name: consumer.durableName,
          deliver_policy: 'new',
          max_ack_pending: 100,
          method_header: 'centrifugo-method',
          ...(consumer.useExistingConsumer ? { use_existing_consumer: true } : {}),
        },
      };
    case 'kafka':
      // Records carry the method in header `centrifugo-method` and the API request as the value
      // (internal/consuming/kafka.go); Debezium's outbox event router writes them so.
      return {
        name: consumer.name,
        type: 'kafka',
        enabled: true,
        kafka: {
          brokers: consumer.brokers,
          topics: consumer.topics,
          consumer_group: consumer.consumerGroup,
          method_header: 'centrifugo-method',
        },
      };
  }
}

/**
 * GrandChat's shape: a `personal` namespace with history and forced recovery whose subscriptions need a
 * subscription JWT, connection JWTs signed with a per-run HMAC secret, an API key, Prometheus and health
 * endpoints on. The NATS broker is at-most-once and keeps no history, so with `nats` the personal
 * namespace has no history or recovery (a reconnect then cannot recover what it missed — by design).
 */
export function centrifugoConfig(input: CentrifugoConfigInput): CentrifugoConfig {
  if (input.engine === 'redis' && !input.redisUrl) throw new Error('engine redis needs redisUrl');
  if (input.engine === 'nats' && !input.natsUrl) throw new Error('engine nats needs natsUrl');
  const withHistory = input.engine !== 'nats';
  const personal: Record<string, unknown> = { name: 'personal' };
  if (withHistory) {
    personal.history_size = input.personalHistorySize ?? 300;
    personal.history_ttl = input.personalHistoryTtl ?? '600s';
    personal.force_recovery = true;
  }
  const config: CentrifugoConfig = {
    log: { level: input.logLevel ?? 'info' },
    http_server: { address: '127.0.0.1' },
    client: {
      token: { hmac_secret_key: input.hmacSecret },
      allowed_origins: [],
      ...(input.clientQueueMaxSize ? { queue_max_size: input.clientQueueMaxSize } : {}),
      ...(input.pingInterval ? { ping_interval: input.pingInterval } : {}),
      ...(input.pongTimeout ? { pong_timeout: input.pongTimeout } : {}),
    },
    http_api: { key: input.apiKey },
    prometheus: { enabled: true },
    health: { enabled: true },
    usage_stats: { disabled: true },
    channel: {
      namespaces: [personal, { name: 'room', allow_subscribe_for_client: true }],
    },
  };
  if (input.engine === 'redis') {
    config.engine = { type: 'redis', redis: { address: input.redisUrl } };
  } else if (input.engine === 'nats') {
    config.broker = { enabled: true, type: 'nats', nats: { url: input.natsUrl } };
  }
  if (input.consumers?.length) config.consumers = input.consumers.map(consumerConfig);
  return config;
}
