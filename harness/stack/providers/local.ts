import { randomBytes } from 'node:crypto';
import { log, registerSecret } from '../../common/log.ts';
import type { StackEndpoints, StackSecrets } from '../../common/stack-types.ts';
import type { CentrifugoConsumer } from '../centrifugo-config.ts';
import { LocalRuntime } from '../local/local-runtime.ts';
import { cpuSecondsByGroup } from '../local/process-cpu.ts';
import { CentrifugoService } from '../services/centrifugo.ts';
import { prepareChatApp, prepareChatSchema, startChatApp } from '../services/chat-app.ts';
import { CHAT_APP_CDC_ROUTE, CHAT_APP_CONSUMERS } from '../services/chat-app-options.ts';
import { ClickHouseService } from '../services/clickhouse.ts';
import { KafkaService, type StartedKafka } from '../services/kafka.ts';
import { KafkaConnectService, prepareCdcSource, type StartedKafkaConnect } from '../services/kafka-connect.ts';
import { NatsService, type StartedNats } from '../services/nats.ts';
import { PostgresService, type StartedPostgres } from '../services/postgres.ts';
import { startPushRelay } from '../services/push-relay.ts';
import { startPushSink } from '../services/push-sink.ts';
import { RedisService, type StartedRedis } from '../services/redis.ts';
import type { Stack, StackHooks, StackStartOptions } from '../stack.ts';
import { type StackSpec, servicesFor } from '../stack-spec.ts';

async function allSettledOrThrow<T extends readonly unknown[]>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as never;
}

/** Fills a mode's consumer request with the addresses of the services this stack started. */
function resolveConsumer(
  consumer: StackSpec['consumers'][number],
  started: { postgres?: StartedPostgres; redis?: StartedRedis; nats?: StartedNats; kafka?: StartedKafka },
): CentrifugoConsumer {
  switch (consumer.type) {
    case 'postgresql':
      return { ...consumer, dsn: started.postgres!.url };
    case 'redis_stream':
      return { ...consumer, redisUrl: started.redis!.url };
    case 'nats_jetstream':
      return { ...consumer, natsUrl: started.nats!.url };
    case 'kafka':
      return {
        type: 'kafka',
        name: consumer.name,
        brokers: [started.kafka!.bootstrap],
        topics: consumer.topics,
        consumerGroup: consumer.consumerGroup,
      };
  }
}

/** The Kafka topics the spec's kafka consumers read: created before Centrifugo subscribes to them. */
export function kafkaTopics(spec: StackSpec): { name: string; partitions: number }[] {
  return spec.consumers.flatMap((c) =>
    c.type === 'kafka' ? c.topics.map((name) => ({ name, partitions: c.partitions })) : [],
  );
}

/** The topic Debezium writes to: the chat app's kafka consumer's (else the first kafka consumer's) first topic. */
export function cdcTopic(spec: StackSpec): string {
  const kafka = spec.consumers.filter((c) => c.type === 'kafka');
  const consumer = kafka.find((c) => c.name === CHAT_APP_CONSUMERS.cdc) ?? kafka[0];
  return consumer?.topics[0] ?? CHAT_APP_CDC_ROUTE.topic;
}

/**
 * Starts every service as a local process on 127.0.0.1 and free ports, in a per-run temporary folder.
 * If anything fails half-way, what did start is stopped before the error propagates.
 */
export async function startLocalStack(
  spec: StackSpec,
  options: StackStartOptions,
  hooks: StackHooks = {},
): Promise<Stack> {
  const runtime = new LocalRuntime({ runId: options.runId, logsDir: options.logsDir, signal: options.signal });
  let connectStart: Promise<StartedKafkaConnect> | undefined;
  try {
    const wanted = servicesFor(spec);
    const started = performance.now();
    const sut = [spec.pushSink && 'push-sink', spec.pushRelay && 'push-relay', spec.chatApp && 'chat-app'].filter(
      Boolean,
    );
    log.info(
      'stack',
      `starting local stack: ${['centrifugo', ...wanted, ...sut].join(', ')} (logs in ${options.logsDir})`,
    );
    // In parallel, but every start settles before a failure propagates: nothing is left half-started.
    const kafkaService = new KafkaService();
    for (const topic of kafkaTopics(spec)) kafkaService.withTopic(topic);
    const postgresStart = wanted.has('postgres') ? new PostgresService().start(runtime) : undefined;
    const kafkaStart = wanted.has('kafka') ? kafkaService.start(runtime) : undefined;
    // Kafka Connect (a JVM: seconds) starts as soon as PostgreSQL has the CDC table and its slot and Kafka is
    // up, beside everything that follows (other services, seeding, Centrifugo); it spawns nothing if either failed.
    const route = { ...CHAT_APP_CDC_ROUTE, topic: cdcTopic(spec) };
    connectStart = wanted.has('kafka-connect')
      ? (async () => {
          const [pg, broker] = await Promise.all([postgresStart!, kafkaStart!]);
          await prepareChatSchema(pg.url, spec.consumers);
          await prepareCdcSource(pg.url, route);
          const connect = new KafkaConnectService(broker.bootstrap, pg, route);
          const flushMs = spec.chatApp?.connectOffsetFlushMs;
          if (typeof flushMs === 'number') connect.withOffsetFlushMs(flushMs);
          return connect.start(runtime);
        })()
      : undefined;
    // Awaited below; until then a failure must not surface as an unhandled rejection.
    connectStart?.catch(() => {});
    const [postgres, redis, nats, clickhouse, kafka] = await allSettledOrThrow([
      postgresStart,
      wanted.has('redis') ? new RedisService().start(runtime) : undefined,
      wanted.has('nats') ? new NatsService().start(runtime) : undefined,
      wanted.has('clickhouse') ? new ClickHouseService().start(runtime) : undefined,
      kafkaStart,
    ] as const);
    const secrets: StackSecrets = {
      centrifugoHmacSecret: randomBytes(32).toString('base64url'),
      centrifugoApiKey: randomBytes(24).toString('base64url'),
      postgresPassword: postgres?.password,
      redisPassword: redis?.password,
    };
    registerSecret(secrets.centrifugoHmacSecret);
    registerSecret(secrets.centrifugoApiKey);

    const endpointsBeforeCentrifugo: Omit<StackEndpoints, 'centrifugo'> = {
      postgres: postgres && { url: postgres.url },
      redis: redis && { url: redis.url },
      nats: nats && { url: nats.url },
      clickhouse: clickhouse && { url: clickhouse.url },
      kafka: kafka && { bootstrap: kafka.bootstrap },
    };
    if (spec.chatApp) {
      await prepareChatApp({ endpoints: endpointsBeforeCentrifugo, consumers: spec.consumers, options: spec.chatApp });
    }
    await hooks.beforeCentrifugo?.(endpointsBeforeCentrifugo);

    const centrifugoStart = new CentrifugoService({
      engine: spec.engine,
      redisUrl: redis?.url,
      natsUrl: nats?.url,
      hmacSecret: secrets.centrifugoHmacSecret,
      apiKey: secrets.centrifugoApiKey,
      consumers: spec.consumers.map((c) => resolveConsumer(c, { postgres, redis, nats, kafka })),
      logLevel: spec.centrifugo.logLevel,
      clientQueueMaxSize: spec.centrifugo.clientQueueMaxSize,
      personalHistorySize: spec.centrifugo.personalHistorySize,
      pingInterval: spec.centrifugo.pingInterval,
      pongTimeout: spec.centrifugo.pongTimeout,
    })
      .withNodes(spec.nodes)
      .withPorts(spec.centrifugoPorts ?? [])
      .start(runtime);
    const [centrifugo, kafkaConnect] = await allSettledOrThrow([centrifugoStart, connectStart] as const);
    if (kafka) {
      log.info(
        'stack',
        `cdc chain: Kafka ${kafka.version} (KRaft) ready in ${kafka.startSeconds.toFixed(1)}s` +
          (kafkaConnect
            ? `, Kafka Connect + Debezium ${kafkaConnect.version} task running in ${kafkaConnect.startSeconds.toFixed(1)}s`
            : ''),
      );
    }
    if (kafkaConnect && endpointsBeforeCentrifugo.kafka)
      endpointsBeforeCentrifugo.kafka.connectUrl = kafkaConnect.restUrl;

    const endpoints: StackEndpoints = {
      ...endpointsBeforeCentrifugo,
      centrifugo: {
        engine: spec.engine,
        nodes: centrifugo.nodes.map(({ name, httpUrl, wsUrl, apiUrl }) => ({ name, httpUrl, wsUrl, apiUrl })),
      },
    };
    const versions: Record<string, string> = { centrifugo: centrifugo.version };

    // The reference system under test, in dependency order: the relay sends to the sink, the app to both.
    if (spec.pushSink) {
      const sink = await startPushSink({ runtime, endpoints, secrets, options: spec.pushSink });
      const { url, fcmUrl, webPushUrl, caFile, tokenUrl, controlUrl, credentialsFile, receiptsDir } = sink;
      endpoints.pushSink = { url, fcmUrl, webPushUrl, caFile, tokenUrl, controlUrl, credentialsFile, receiptsDir };
      versions.pushSink = sink.version;
    }
    if (spec.pushRelay) {
      const relay = await startPushRelay({ runtime, endpoints, secrets, options: spec.pushRelay });
      endpoints.pushRelay = { url: relay.url };
      versions.pushRelay = relay.version;
    }
    if (spec.chatApp) {
      const app = await startChatApp({ runtime, endpoints, secrets, options: spec.chatApp, consumers: spec.consumers });
      endpoints.chatApp = { url: app.url };
      versions.chatApp = app.version;
    }
    if (postgres) versions.postgres = postgres.version;
    if (redis) versions.redis = redis.version;
    if (nats) versions.nats = nats.version;
    if (clickhouse) versions.clickhouse = clickhouse.version;
    if (kafka) versions.kafka = kafka.version;
    if (kafkaConnect) versions.debezium = kafkaConnect.version;
    const processes = { postgres: postgres?.process, redis: redis?.process, nats: nats?.process };
    log.info('stack', `ready in ${((performance.now() - started) / 1000).toFixed(1)}s`);

    return {
      runId: options.runId,
      provider: 'local',
      endpoints,
      versions,
      secrets,
      logsDir: options.logsDir,
      centrifugoConfig: centrifugo.config,
      crashed: runtime.crashed,
      cpuSeconds: () =>
        cpuSecondsByGroup(
          Object.fromEntries(
            runtime
              .processes()
              .filter((p) => p.running)
              .map((p) => [p.name, p.pid]),
          ),
        ),
      processIds: () =>
        Object.fromEntries(
          runtime
            .processes()
            .filter((p) => p.running)
            .map((p) => [p.name, p.pid]),
        ),
      faults: {
        killCentrifugoNode: (index) => centrifugo.killNode(index),
        startCentrifugoNode: (index) => centrifugo.startNode(index),
        async pauseService(service) {
          const proc = processes[service];
          if (!proc) throw new Error(`${service} is not part of this stack`);
          proc.signal('SIGSTOP');
        },
        async resumeService(service) {
          const proc = processes[service];
          if (!proc) throw new Error(`${service} is not part of this stack`);
          proc.signal('SIGCONT');
        },
        async restartService(service, options) {
          if (service !== 'kafka-connect' || !kafkaConnect) throw new Error(`${service} is not part of this stack`);
          await kafkaConnect.restart(options?.kill === false ? 'SIGTERM' : 'SIGKILL');
        },
      },
      down: async () => {
        // A paused service cannot handle SIGTERM; wake everything before stopping it.
        for (const proc of Object.values(processes)) proc?.signal('SIGCONT');
        await runtime.close();
      },
    };
  } catch (error) {
    // A Kafka Connect start still under way would spawn its JVM after the teardown: let it settle first.
    await connectStart?.catch(() => {});
    await runtime.close();
    throw error;
  }
}
