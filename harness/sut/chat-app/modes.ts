/**
 * GrandChat's broadcast modes (reference/centrifugo.md §7 "Broadcast flow"), plus the two async consumers
 * Centrifugo v6.2+ offers. Each mode is a set of parts; a part is one path from the app to Centrifugo:
 * - `api`: HTTP `broadcast` after commit (fast; lost if the call fails);
 * - `outbox`: a row in the message's transaction, read by Centrifugo's PostgreSQL consumer (never lost);
 * - `redisStream` / `jetstream`: an entry in a Redis Stream / a JetStream message after commit, read by
 *   Centrifugo's redis_stream / nats_jetstream consumer;
 * - `cdc`: a row in `chat_cdc` in the message's transaction, read from the WAL by Debezium (Kafka Connect,
 *   outbox event router) into a Kafka topic, which Centrifugo's kafka consumer reads (never lost once committed).
 * Combined modes rely on idempotency keys to drop the second copy.
 */
export const BROADCAST_MODES = [
  'api',
  'outbox',
  'api_outbox',
  'redis_stream',
  'nats_jetstream',
  'cdc',
  'api_cdc',
] as const;
export type BroadcastMode = (typeof BROADCAST_MODES)[number];

export interface ModeParts {
  api: boolean;
  outbox: boolean;
  redisStream: boolean;
  jetstream: boolean;
  cdc: boolean;
}

const none: ModeParts = { api: false, outbox: false, redisStream: false, jetstream: false, cdc: false };

export const MODE_PARTS: Record<BroadcastMode, ModeParts> = {
  api: { ...none, api: true },
  outbox: { ...none, outbox: true },
  api_outbox: { ...none, api: true, outbox: true },
  redis_stream: { ...none, redisStream: true },
  nats_jetstream: { ...none, jetstream: true },
  cdc: { ...none, cdc: true },
  api_cdc: { ...none, api: true, cdc: true },
};
