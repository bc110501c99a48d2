/**
 * Centrifugo's async consumers as the stack spec names them. Its own file because both the stack spec and the
 * chat app's options (which add the consumers a broadcast mode needs) use it, and neither may import the other.
 */
import { z } from 'zod';

/** A consumer a broadcast mode needs; the provider fills in the addresses of the services it started. */
export const ConsumerSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('postgresql'),
    name: z.string().regex(/^[a-zA-Z0-9_]{2,}$/),
    outboxTable: z.string().default('chat_outbox'),
    partitions: z.number().int().min(1).max(1024).default(1),
    notificationChannel: z.string().default('centrifugo_partition_change'),
  }),
  z.strictObject({
    type: z.literal('redis_stream'),
    name: z.string().regex(/^[a-zA-Z0-9_]{2,}$/),
    stream: z.string().default('centrifugo:api'),
    group: z.string().default('centrifugo'),
    workers: z.number().int().min(1).max(64).default(1),
  }),
  z.strictObject({
    type: z.literal('nats_jetstream'),
    name: z.string().regex(/^[a-zA-Z0-9_]{2,}$/),
    streamName: z.string().default('CENTRIFUGO'),
    subjects: z.array(z.string()).max(100).default(['centrifugo.api']),
    durableName: z.string().default('centrifugo'),
    /** The durable consumer exists already (created before Centrifugo starts): Centrifugo only binds to it. */
    useExistingConsumer: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('kafka'),
    name: z.string().regex(/^[a-zA-Z0-9_]{2,}$/),
    topics: z
      .array(z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/))
      .min(1)
      .max(100)
      .default(['centrifugo.api']),
    consumerGroup: z.string().min(1).default('centrifugo'),
    /** Partitions of each topic, created by the stack before Centrifugo starts (GrandChat: 40). */
    partitions: z.number().int().min(1).max(1024).default(8),
  }),
]);
export type ConsumerSpec = z.infer<typeof ConsumerSpecSchema>;
