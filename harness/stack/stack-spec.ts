import { z } from 'zod';
import { atMost, checkValue } from '../common/validation.ts';
import { SinkConfigSchema } from '../sut/push-sink/index.ts';
import { ConsumerSpecSchema } from './consumer-spec.ts';
import { ChatAppOptionsSchema, chatAppNeedsCdc, withChatAppConsumers } from './services/chat-app-options.ts';
import { PushRelayOptionsSchema } from './services/push-relay.ts';

const port = z.number().int().min(1).max(65_535);

export const SERVICE_NAMES = ['postgres', 'redis', 'nats', 'clickhouse', 'kafka', 'kafka-connect'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * What stack a run needs. Services the choices imply are added by `servicesFor()` (engine redis → Redis,
 * a postgresql consumer → PostgreSQL, …); `services` lists extra ones (ClickHouse for results, …).
 */
export const StackSpecSchema = z
  .strictObject({
    provider: z.enum(['local', 'external', 'containers']).default('local'),
    engine: z.enum(['memory', 'redis', 'nats']).default('memory'),
    nodes: z.number().int().min(1).max(16, atMost(16, 'Centrifugo nodes per stack')).default(1),
    centrifugoPorts: z.array(port).optional(),
    services: z.array(z.enum(SERVICE_NAMES)).max(SERVICE_NAMES.length).default([]),
    consumers: z.array(ConsumerSpecSchema).max(64, atMost(64, 'consumers per stack')).default([]),
    centrifugo: z
      .strictObject({
        logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
        clientQueueMaxSize: z
          .number()
          .int()
          .positive()
          .max(1_073_741_824, atMost(1_073_741_824, 'bytes (1 GiB) queued per client connection'))
          .optional(),
        personalHistorySize: z
          .number()
          .int()
          .min(0)
          .max(1_000_000, atMost(1_000_000, 'publications of history per channel (Centrifugo keeps it in memory)'))
          .optional(),
        pingInterval: z.string().max(20).optional(),
        pongTimeout: z.string().max(20).optional(),
      })
      .default({ logLevel: 'info' }),
    /**
     * Services of the reference system under test (harness/sut), each with options its own service file
     * validates: the chat app (`{ mode: 'api' | 'outbox' | … }`), the push relay, the push sink.
     */
    chatApp: z.record(z.string(), z.unknown()).optional(),
    pushRelay: z.record(z.string(), z.unknown()).optional(),
    pushSink: z.record(z.string(), z.unknown()).optional(),
    /** For provider `external`: the stack file written by `stack up`, or a hand-written one. */
    stackFile: z.string().max(4096).optional(),
    /** The harness refuses non-loopback targets unless this is set: load is never sent anywhere by accident. */
    allowRemoteTargets: z.boolean().default(false),
  })
  .superRefine((spec, ctx) => {
    if (spec.nodes > 1 && spec.nodes <= 16 && spec.engine === 'memory') {
      ctx.addIssue({
        code: 'custom',
        path: ['nodes'],
        message: `${spec.nodes} Centrifugo nodes need a shared broker: set engine to redis or nats, or nodes to 1`,
      });
    }
    if (spec.centrifugoPorts && spec.centrifugoPorts.length !== spec.nodes) {
      ctx.addIssue({
        code: 'custom',
        path: ['centrifugoPorts'],
        message: `gives ${spec.centrifugoPorts.length} ports for ${spec.nodes} nodes; give one per node or none`,
      });
    }
    if (spec.provider === 'external' && !spec.stackFile) {
      ctx.addIssue({
        code: 'custom',
        path: ['stackFile'],
        message: 'provider external needs the stack file of the deployment (from `stack up`, or hand-written)',
      });
    }
    // The services' own options are passed on as records, but checked here, with the spec: an unknown key
    // or a bad value is refused before anything starts, not when the service does.
    const options = [
      ['chatApp', ChatAppOptionsSchema, spec.chatApp],
      ['pushRelay', PushRelayOptionsSchema, spec.pushRelay],
      ['pushSink', SinkConfigSchema, spec.pushSink],
    ] as const;
    for (const [field, schema, value] of options) {
      if (value === undefined) continue;
      const checked = checkValue(schema, value);
      for (const problem of checked.ok ? [] : checked.problems) {
        ctx.addIssue({ code: 'custom', path: [field, ...problem.path], message: problem.message });
      }
    }
    if (spec.chatApp && ChatAppOptionsSchema.safeParse(spec.chatApp).data?.push && !spec.pushRelay) {
      ctx.addIssue({ code: 'custom', path: ['chatApp', 'push'], message: 'needs pushRelay in the stack spec' });
    }
  })
  // A chat app mode brings the Centrifugo consumers it needs (unless the spec names them already).
  .transform((spec) =>
    spec.chatApp
      ? { ...spec, consumers: withChatAppConsumers(spec.consumers, ChatAppOptionsSchema.parse(spec.chatApp)) }
      : spec,
  );
export type StackSpec = z.infer<typeof StackSpecSchema>;
export type StackSpecInput = z.input<typeof StackSpecSchema>;

/** Every service the spec needs, implied or asked for. */
export function servicesFor(spec: StackSpec): Set<ServiceName> {
  const services = new Set<ServiceName>(spec.services);
  if (spec.engine === 'redis') services.add('redis');
  if (spec.engine === 'nats') services.add('nats');
  // The chat app keeps rooms, members and messages in PostgreSQL.
  if (spec.chatApp) services.add('postgres');
  // The push relay keeps devices in PostgreSQL and its queue in Redis Streams.
  if (spec.pushRelay) {
    services.add('postgres');
    services.add('redis');
  }
  // The cdc modes stream the chat app's CDC table through Debezium (Kafka Connect) into Kafka.
  if (spec.chatApp && chatAppNeedsCdc(spec.chatApp)) {
    services.add('kafka');
    services.add('kafka-connect');
  }
  // Kafka Connect reads PostgreSQL's WAL and writes to Kafka.
  if (services.has('kafka-connect')) {
    services.add('postgres');
    services.add('kafka');
  }
  for (const consumer of spec.consumers) {
    if (consumer.type === 'postgresql') services.add('postgres');
    if (consumer.type === 'redis_stream') services.add('redis');
    if (consumer.type === 'nats_jetstream') services.add('nats');
    if (consumer.type === 'kafka') services.add('kafka');
  }
  return services;
}
