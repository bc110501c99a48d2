import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { AckPolicy, connect, DeliverPolicy, RetentionPolicy } from 'nats';
import { UserError } from '../../common/errors.ts';
import { log } from '../../common/log.ts';
import type { StackEndpoints } from '../../common/stack-types.ts';
import { parseOrExplain } from '../../common/validation.ts';
import { CHAT_APP_VERSION, type ChatAppConfigInput, ensureChatSchema, MODE_PARTS } from '../../sut/chat-app/index.ts';
import type { ConsumerSpec } from '../consumer-spec.ts';
import { httpProbe, waitUntilReady } from '../local/readiness.ts';
import { CHAT_APP_CONSUMERS, type ChatAppOptions, ChatAppOptionsSchema } from './chat-app-options.ts';
import type { StartedSut, SutStartContext } from './sut.ts';

export {
  CHAT_APP_CONSUMERS,
  type ChatAppOptions,
  ChatAppOptionsSchema,
  chatAppConsumers,
  stackSpecForMode,
  withChatAppConsumers,
} from './chat-app-options.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const mainFile = path.join(root, 'harness/sut/chat-app/main.ts');

type Consumer<T extends ConsumerSpec['type']> = Extract<ConsumerSpec, { type: T }>;

/** The consumer of `type` the app writes for: the one with the chat app's name, else the first of that type. */
function consumerOf<T extends ConsumerSpec['type']>(consumers: ConsumerSpec[], type: T, name: string) {
  const ofType = consumers.filter((c): c is Consumer<T> => c.type === type);
  return ofType.find((c) => c.name === name) ?? ofType[0];
}

function parseOptions(options: Record<string, unknown>): ChatAppOptions {
  return parseOrExplain(ChatAppOptionsSchema, options, 'stack spec', 'chatApp');
}

/**
 * The chat app's tables (the outbox named as the spec's outbox consumer names it), on their own: the cdc
 * modes' replication slot needs `chat_cdc` before the rest of the stack is up. Idempotent.
 */
export async function prepareChatSchema(databaseUrl: string, consumers: ConsumerSpec[]): Promise<void> {
  const outbox = consumerOf(consumers, 'postgresql', CHAT_APP_CONSUMERS.outbox);
  await ensureChatSchema(databaseUrl, {
    table: outbox?.outboxTable ?? 'chat_outbox',
    notificationChannel: outbox?.notificationChannel ?? 'centrifugo_partition_change',
  });
}

/**
 * Before Centrifugo starts, creates what its consumers read, so nothing published is missed: the chat
 * schema with the outbox table and its NOTIFY trigger; the Redis Stream and its consumer group (Centrifugo
 * creates the group at `$`: entries added before it are never read); the JetStream stream and its durable
 * consumer (Centrifugo does not create the stream). Done for every chat app consumer in the spec, whatever
 * the mode: a stack may run several modes' consumers at once (tests, GrandChat's shipped config).
 */
export async function prepareChatApp(context: {
  endpoints: Omit<StackEndpoints, 'centrifugo'>;
  consumers: ConsumerSpec[];
  options: Record<string, unknown>;
}): Promise<void> {
  parseOptions(context.options);
  const { endpoints, consumers } = context;
  if (!endpoints.postgres) throw new UserError('the chat app needs PostgreSQL in the stack');
  await prepareChatSchema(endpoints.postgres.url, consumers);

  const stream = consumerOf(consumers, 'redis_stream', CHAT_APP_CONSUMERS.redisStream);
  if (stream) {
    if (!endpoints.redis) throw new UserError(`consumer ${stream.name} needs Redis in the stack`);
    const redis = new Redis(endpoints.redis.url, { maxRetriesPerRequest: 1 });
    try {
      await redis.xgroup('CREATE', stream.stream, stream.group, '$', 'MKSTREAM').catch((error: Error) => {
        if (!error.message.includes('BUSYGROUP')) throw error;
      });
    } finally {
      redis.disconnect();
    }
  }

  const jet = consumerOf(consumers, 'nats_jetstream', CHAT_APP_CONSUMERS.jetstream);
  if (jet) {
    if (!endpoints.nats) throw new UserError(`consumer ${jet.name} needs NATS in the stack`);
    const nc = await connect({ servers: endpoints.nats.url, name: 'chat-app-prepare' });
    try {
      const jsm = await nc.jetstreamManager();
      // Work-queue retention: an entry is gone once Centrifugo acks it, so the stream stays small.
      await jsm.streams.add({
        name: jet.streamName,
        subjects: jet.subjects,
        retention: RetentionPolicy.Workqueue,
        max_bytes: 1 << 30,
      });
      await jsm.consumers.add(jet.streamName, {
        durable_name: jet.durableName,
        filter_subject: jet.subjects[0],
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: 30_000_000_000,
      });
    } finally {
      await nc.close();
    }
  }
}

/**
 * The reference chat app (harness/sut/chat-app) as a local process, configured for `chatApp.mode`: it talks
 * to Centrifugo node 1's API (GrandChat has one endpoint), writes the outbox / stream the mode's consumers
 * read, and signs tokens with the stack's HMAC secret.
 */
export async function startChatApp(context: SutStartContext & { consumers: ConsumerSpec[] }): Promise<StartedSut> {
  const options = parseOptions(context.options);
  const { runtime, endpoints, secrets, consumers } = context;
  const node = endpoints.centrifugo?.nodes[0];
  if (!endpoints.postgres || !node) throw new UserError('the chat app needs PostgreSQL and Centrifugo in the stack');
  const parts = MODE_PARTS[options.mode];
  const outbox = consumerOf(consumers, 'postgresql', CHAT_APP_CONSUMERS.outbox);
  const stream = consumerOf(consumers, 'redis_stream', CHAT_APP_CONSUMERS.redisStream);
  const jet = consumerOf(consumers, 'nats_jetstream', CHAT_APP_CONSUMERS.jetstream);
  const missing = [
    parts.outbox && !outbox && 'a postgresql consumer',
    parts.redisStream && !(stream && endpoints.redis) && 'a redis_stream consumer and Redis',
    parts.jetstream && !(jet && endpoints.nats) && 'a nats_jetstream consumer and NATS',
    parts.cdc &&
      !(consumerOf(consumers, 'kafka', CHAT_APP_CONSUMERS.cdc) && endpoints.kafka) &&
      'a kafka consumer, Kafka and Kafka Connect',
  ].filter(Boolean);
  if (missing.length) {
    throw new UserError(
      `chatApp.mode ${options.mode} needs ${missing.join(', ')} in the stack; build the spec with stackSpecForMode()`,
    );
  }

  if (options.push && !endpoints.pushRelay) throw new UserError('chatApp.push needs pushRelay in the stack spec');
  const port = await runtime.port('chat app', options.port);
  const config: ChatAppConfigInput = {
    host: '127.0.0.1',
    port,
    mode: options.mode,
    databaseUrl: endpoints.postgres.url,
    poolSize: options.poolSize,
    centrifugo: { apiUrl: node.apiUrl, apiKey: secrets.centrifugoApiKey, hmacSecret: secrets.centrifugoHmacSecret },
    channelsPerCall: options.channelsPerCall,
    apiConcurrency: options.apiConcurrency,
    outbox: {
      table: outbox?.outboxTable ?? 'chat_outbox',
      partitions: outbox?.partitions ?? options.partitions,
      notificationChannel: outbox?.notificationChannel ?? 'centrifugo_partition_change',
    },
    redisStream:
      parts.redisStream && stream && endpoints.redis
        ? { url: endpoints.redis.url, stream: stream.stream, maxLen: options.redisStreamMaxLen }
        : undefined,
    jetstream:
      parts.jetstream && jet && endpoints.nats ? { url: endpoints.nats.url, subject: jet.subjects[0]! } : undefined,
    tokenTtlSeconds: options.tokenTtlSeconds,
    push:
      options.push && endpoints.pushRelay
        ? { relayUrl: endpoints.pushRelay.url, apiKey: secrets.centrifugoApiKey }
        : undefined,
  };
  const configFile = path.join(runtime.dir('chat-app'), 'chat-app.json');
  // Mode 0600: the file holds the API key, the HMAC secret and the database password.
  writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });

  const proc = runtime.spawn({
    name: 'chat-app',
    command: process.execPath,
    args: ['--import', 'tsx', mainFile, '--config', configFile],
    cwd: root,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(proc, httpProbe(`${url}/health`), { signal: runtime.signal });
  log.info('stack', `chat app ready (mode ${options.mode}) at ${url}`);
  return { url, version: CHAT_APP_VERSION, process: proc };
}
