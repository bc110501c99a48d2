import { z } from 'zod';
import { ConsumerSpecSchema } from './consumer-spec.ts';
import { ChatAppOptionsSchema, withChatAppConsumers } from './services/chat-app-options.ts';

const port = z.number().int().min(1).max(65_535);

export const SERVICE_NAMES = ['postgres', 'redis', 'nats', 'clickhouse'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * What stack a run needs. Services the choices imply are added by `servicesFor()` (engine redis → Redis,
 * a postgresql consumer → PostgreSQL, …); `services` lists extra ones (ClickHouse for results, …).
 */
export const StackSpecSchema = z
  .object({
    provider: z.enum(['local', 'external', 'containers']).default('local'),
    engine: z.enum(['memory', 'redis', 'nats']).default('memory'),
    nodes: z.number().int().min(1).max(16).default(1),
    centrifugoPorts: z.array(port).optional(),
    services: z.array(z.enum(SERVICE_NAMES)).default([]),
    consumers: z.array(ConsumerSpecSchema).default([]),
    centrifugo: z
      .object({
        logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
        clientQueueMaxSize: z.number().int().positive().optional(),
        personalHistorySize: z.number().int().min(0).optional(),
        pingInterval: z.string().optional(),
        pongTimeout: z.string().optional(),
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
    stackFile: z.string().optional(),
    /** The harness refuses non-loopback targets unless this is set: load is never sent anywhere by accident. */
    allowRemoteTargets: z.boolean().default(false),
  })
  .superRefine((spec, ctx) => {
    if (spec.nodes > 1 && spec.engine === 'memory') {
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
    if (spec.chatApp) {
      const chatApp = ChatAppOptionsSchema.safeParse(spec.chatApp);
      for (const issue of chatApp.error?.issues ?? []) {
        ctx.addIssue({ code: 'custom', path: ['chatApp', ...issue.path], message: issue.message });
      }
      if (chatApp.data?.push && !spec.pushRelay) {
        ctx.addIssue({ code: 'custom', path: ['chatApp', 'push'], message: 'needs pushRelay in the stack spec' });
      }
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
  for (const consumer of spec.consumers) {
    if (consumer.type === 'postgresql') services.add('postgres');
    if (consumer.type === 'redis_stream') services.add('redis');
    if (consumer.type === 'nats_jetstream') services.add('nats');
  }
  return services;
}
