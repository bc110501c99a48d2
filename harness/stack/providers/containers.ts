import { randomBytes } from 'node:crypto';
import { log, registerSecret } from '../../common/log.ts';
import type { StackEndpoints, StackSecrets } from '../../common/stack-types.ts';
import type { CentrifugoConsumer } from '../centrifugo-config.ts';
import { CentrifugoContainers } from '../containers/centrifugo-container.ts';
import { ClickHouseContainer } from '../containers/clickhouse-container.ts';
import type { ContainerService } from '../containers/container-service.ts';
import { ContainersRuntime } from '../containers/containers-runtime.ts';
import { connectEngine } from '../containers/engine-service.ts';
import { ensureHarnessImage } from '../containers/harness-image.ts';
import { KafkaConnectContainer, type StartedKafkaConnectContainer } from '../containers/kafka-connect-container.ts';
import { KafkaContainer, type StartedKafkaContainer } from '../containers/kafka-container.ts';
import { NatsContainer, type StartedNatsContainer } from '../containers/nats-container.ts';
import { PostgresContainer, type StartedPostgresContainer } from '../containers/postgres-container.ts';
import { RedisContainer, type StartedRedisContainer } from '../containers/redis-container.ts';
import { LocalRuntime } from '../local/local-runtime.ts';
import { prepareChatApp, prepareChatSchema, startChatApp } from '../services/chat-app.ts';
import { CHAT_APP_CDC_ROUTE } from '../services/chat-app-options.ts';
import { type CdcDatabase, prepareCdcSource } from '../services/kafka-connect.ts';
import { startPushRelay } from '../services/push-relay.ts';
import { startPushSink } from '../services/push-sink.ts';
import type { Stack, StackHooks, StackStartOptions } from '../stack.ts';
import { type StackSpec, servicesFor } from '../stack-spec.ts';
import { cdcTopic, kafkaTopics } from './local.ts';

/** Fills a mode's consumer request with the addresses of the containers this stack started (as local does). */
function resolveConsumer(
  consumer: StackSpec['consumers'][number],
  started: {
    postgres?: StartedPostgresContainer;
    redis?: StartedRedisContainer;
    nats?: StartedNatsContainer;
    kafka?: StartedKafkaContainer;
  },
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

/** What Debezium logs in with: the PostgreSQL container's URL, taken apart. */
function cdcDatabase(postgresUrl: string): CdcDatabase {
  const url = new URL(postgresUrl);
  return {
    host: url.hostname,
    port: Number(url.port),
    database: url.pathname.slice(1),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

/**
 * The same stack as the local provider — same spec, same services and settings, same endpoints and
 * hooks — with every service in a container: PostgreSQL, Redis, NATS, ClickHouse, Centrifugo and the cdc
 * chain (Kafka, Kafka Connect + Debezium) from their official images (built here from the local provider's
 * binaries and jars when absent), the push sink, push relay and chat app
 * from one harness image. Containers share the host network and bind 127.0.0.1, like the local
 * processes, so every URL, TLS name and file path is the same inside and out. Every container carries
 * the run's label; teardown removes them, and the reaper does if the harness dies.
 */
export async function startContainersStack(
  spec: StackSpec,
  options: StackStartOptions,
  hooks: StackHooks = {},
): Promise<Stack> {
  const local = new LocalRuntime({ runId: options.runId, logsDir: options.logsDir, signal: options.signal });
  let connectStart: Promise<StartedKafkaConnectContainer> | undefined;
  try {
    const started = performance.now();
    // The engine first: without one, that is the reason to give, whatever the spec asks for.
    const engine = await connectEngine(local);
    const wanted = servicesFor(spec);
    const withSut = Boolean(spec.pushSink || spec.pushRelay || spec.chatApp);
    let harnessImage: string | undefined;
    const runtime = new ContainersRuntime(local, engine, () => {
      harnessImage ??= ensureHarnessImage(engine.cli).image;
      return harnessImage;
    });
    const sut = [spec.pushSink && 'push-sink', spec.pushRelay && 'push-relay', spec.chatApp && 'chat-app'].filter(
      Boolean,
    );
    log.info(
      'stack',
      `starting containers stack on ${engine.version} (${engine.socket}): ` +
        `${['centrifugo', ...wanted, ...sut].join(', ')} (logs in ${options.logsDir})`,
    );
    // Built (when the repository changed) before any service starts: the build is CPU-bound, startups are not.
    if (withSut) harnessImage = ensureHarnessImage(engine.cli).image;
    const kafkaContainer = new KafkaContainer();
    for (const topic of kafkaTopics(spec)) kafkaContainer.withTopic(topic);
    const postgresStart = wanted.has('postgres') ? new PostgresContainer().start(runtime) : undefined;
    const kafkaStart = wanted.has('kafka') ? kafkaContainer.start(runtime) : undefined;
    // As with local: Connect starts once PostgreSQL has the CDC table and its slot and Kafka is up, beside the rest.
    const route = { ...CHAT_APP_CDC_ROUTE, topic: cdcTopic(spec) };
    connectStart = wanted.has('kafka-connect')
      ? (async () => {
          const [pg, broker] = await Promise.all([postgresStart!, kafkaStart!]);
          await prepareChatSchema(pg.url, spec.consumers);
          await prepareCdcSource(pg.url, route);
          const connect = new KafkaConnectContainer(broker.bootstrap, cdcDatabase(pg.url), route);
          const flushMs = spec.chatApp?.connectOffsetFlushMs;
          if (typeof flushMs === 'number') connect.withOffsetFlushMs(flushMs);
          return connect.start(runtime);
        })()
      : undefined;
    // Awaited below; until then a failure must not surface as an unhandled rejection.
    connectStart?.catch(() => {});
    const [postgres, redis, nats, clickhouse, kafka] = await allSettledOrThrow([
      postgresStart,
      wanted.has('redis') ? new RedisContainer().start(runtime) : undefined,
      wanted.has('nats') ? new NatsContainer().start(runtime) : undefined,
      wanted.has('clickhouse') ? new ClickHouseContainer().start(runtime) : undefined,
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

    const centrifugoStart = new CentrifugoContainers({
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
      .start(runtime, spec.centrifugoPorts ?? []);
    const [centrifugo, kafkaConnect] = await allSettledOrThrow([centrifugoStart, connectStart] as const);
    if (kafka) {
      log.info(
        'stack',
        `cdc chain (containers): Kafka ${kafka.version} (KRaft) ready in ${kafka.startSeconds.toFixed(1)}s` +
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

    // The reference system under test, as with the local provider (the same start functions), in the harness image.
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
    versions.containerEngine = engine.version;
    const pausable: Record<string, ContainerService | undefined> = {
      postgres: postgres?.container,
      redis: redis?.container,
      nats: nats?.container,
    };
    log.info('stack', `ready in ${((performance.now() - started) / 1000).toFixed(1)}s`);

    return {
      runId: options.runId,
      provider: 'containers',
      endpoints,
      versions,
      secrets,
      logsDir: options.logsDir,
      centrifugoConfig: centrifugo.config,
      crashed: local.crashed,
      // Each container's cgroup counter, by service name (as local's processes); the engine's API process is not counted.
      cpuSeconds: () => runtime.cpuSeconds(),
      processIds: () => ({}),
      faults: {
        killCentrifugoNode: (index) => centrifugo.killNode(index),
        startCentrifugoNode: (index) => centrifugo.startNode(index),
        async pauseService(service) {
          const container = pausable[service];
          if (!container) throw new Error(`${service} is not part of this stack`);
          await container.pause();
        },
        async resumeService(service) {
          const container = pausable[service];
          if (!container) throw new Error(`${service} is not part of this stack`);
          await container.unpause();
        },
        async restartService(service, options) {
          if (service !== 'kafka-connect' || !kafkaConnect) throw new Error(`${service} is not part of this stack`);
          await kafkaConnect.restart(options?.kill === false ? 'SIGTERM' : 'SIGKILL');
        },
      },
      down: () => local.close(),
    };
  } catch (error) {
    // A Kafka Connect start still under way would start its container after the teardown: let it settle first.
    await connectStart?.catch(() => {});
    await local.close();
    throw error;
  }
}

async function allSettledOrThrow<T extends readonly unknown[]>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as never;
}
