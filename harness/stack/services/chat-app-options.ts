/**
 * `chatApp: {…}` in the stack spec, and what a broadcast mode asks of the stack: which Centrifugo consumers
 * (and so which services). Kept apart from chat-app.ts so the stack spec can use it without loading the
 * app's clients.
 */
import { z } from 'zod';
import { atMost, parseOrExplain } from '../../common/validation.ts';
import { BROADCAST_MODES, type BroadcastMode, MODE_PARTS } from '../../sut/chat-app/index.ts';
import type { ConsumerSpec } from '../consumer-spec.ts';

export const ChatAppOptionsSchema = z
  .object({
    mode: z.enum(BROADCAST_MODES).default('api'),
    /** Outbox partitions (= the PostgreSQL consumer's num_partitions). */
    partitions: z.number().int().min(1).max(1024).default(1),
    /** Most channels per broadcast call / outbox row / stream entry (GrandChat's tuned setup: 1000). */
    channelsPerCall: z.number().int().min(1).max(1_000_000).optional(),
    port: z.number().int().min(1).max(65_535).optional(),
    poolSize: z.number().int().min(1).max(500).optional(),
    apiConcurrency: z.number().int().min(1).max(256).optional(),
    tokenTtlSeconds: z
      .number()
      .int()
      .min(10)
      .max(2_592_000, atMost(2_592_000, 's (30 days) of token lifetime'))
      .optional(),
    redisStreamMaxLen: z
      .number()
      .int()
      .min(10)
      .max(10_000_000, atMost(10_000_000, 'stream entries kept in Redis (each holds a whole payload)'))
      .optional(),
    /** cdc modes: partitions of the Kafka topic (default 8; records keyed by room: one room stays in order). */
    kafkaPartitions: z.number().int().min(1).max(1024).optional(),
    /** cdc modes: how often Kafka Connect saves Debezium's offsets (default Kafka's 60 s, as GrandChat's Connect). */
    connectOffsetFlushMs: z.number().int().min(100).max(3_600_000).optional(),
    /** GrandChat's push appendix through the stack's push relay (needs `pushRelay` in the spec). */
    push: z.boolean().default(false),
  })
  .strict();
export type ChatAppOptions = z.infer<typeof ChatAppOptionsSchema>;
export type ChatAppOptionsInput = z.input<typeof ChatAppOptionsSchema>;

/** Consumer names the chat app's modes use (a consumer of the same name in the spec is taken as is). */
export const CHAT_APP_CONSUMERS = {
  outbox: 'chat_outbox',
  redisStream: 'chat_redis_stream',
  jetstream: 'chat_jetstream',
  cdc: 'chat_cdc',
} as const;

/**
 * The cdc modes' route (GrandChat's): rows of `public.chat_cdc`, read from the WAL through this replication
 * slot and publication (created before Connect and Centrifugo start), to this topic, which Centrifugo's
 * kafka consumer reads. GrandChat's topic is Debezium's default name for the table; the outbox event router
 * names it explicitly here.
 */
export const CHAT_APP_CDC_ROUTE = {
  table: 'public.chat_cdc',
  slot: 'centrifugo_chat_cdc',
  publication: 'centrifugo_chat_cdc',
  topic: 'postgres.public.chat_cdc',
} as const;

/** Whether these (unvalidated) chat app options stream through Debezium and Kafka. */
export function chatAppNeedsCdc(options: Record<string, unknown>): boolean {
  const mode = ChatAppOptionsSchema.safeParse(options).data?.mode;
  return mode !== undefined && MODE_PARTS[mode].cdc;
}

/** The Centrifugo consumers `options.mode` needs. */
export function chatAppConsumers(options: ChatAppOptions): ConsumerSpec[] {
  const parts = MODE_PARTS[options.mode];
  const consumers: ConsumerSpec[] = [];
  if (parts.outbox) {
    consumers.push({
      type: 'postgresql',
      name: CHAT_APP_CONSUMERS.outbox,
      outboxTable: 'chat_outbox',
      partitions: options.partitions,
      notificationChannel: 'centrifugo_partition_change',
    });
  }
  if (parts.redisStream) {
    consumers.push({
      type: 'redis_stream',
      name: CHAT_APP_CONSUMERS.redisStream,
      stream: 'centrifugo:chat',
      group: 'centrifugo',
      workers: 1,
    });
  }
  if (parts.jetstream) {
    consumers.push({
      type: 'nats_jetstream',
      name: CHAT_APP_CONSUMERS.jetstream,
      streamName: 'CHAT',
      subjects: ['chat.centrifugo.api'],
      durableName: 'centrifugo',
      // The stack creates the durable consumer before Centrifugo starts (one filter subject): Centrifugo
      // creating it itself sends a multi-filter config that nats-server < 2.10 refuses.
      useExistingConsumer: true,
    });
  }
  if (parts.cdc) {
    consumers.push({
      type: 'kafka',
      name: CHAT_APP_CONSUMERS.cdc,
      topics: [CHAT_APP_CDC_ROUTE.topic],
      consumerGroup: 'centrifugo',
      partitions: options.kafkaPartitions ?? 8,
    });
  }
  return consumers;
}

/** `consumers` with the chat app's own added, unless the spec names them already. */
export function withChatAppConsumers(consumers: ConsumerSpec[], options: ChatAppOptions): ConsumerSpec[] {
  const names = new Set(consumers.map((c) => c.name));
  return [...consumers, ...chatAppConsumers(options).filter((c) => !names.has(c.name))];
}

/**
 * The stack spec pieces a broadcast mode needs: engine, nodes, the consumers Centrifugo runs for it, and
 * the chat app's options. Spread into a spec: `{ ...stackSpecForMode('outbox', 'redis'), services: […] }`.
 * Throws a UserError (exit 2) for bad options.
 */
export function stackSpecForMode(
  mode: BroadcastMode,
  engine: 'memory' | 'redis' | 'nats' = 'memory',
  extra: Omit<ChatAppOptionsInput, 'mode'> & { nodes?: number } = {},
): { engine: 'memory' | 'redis' | 'nats'; nodes: number; consumers: ConsumerSpec[]; chatApp: ChatAppOptions } {
  const { nodes, ...rest } = extra;
  const chatApp = parseOrExplain(ChatAppOptionsSchema, { ...rest, mode }, 'stack spec', 'chatApp');
  return { engine, nodes: nodes ?? 1, consumers: chatAppConsumers(chatApp), chatApp };
}
