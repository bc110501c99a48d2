import { randomBytes } from 'node:crypto';
import { log, registerSecret } from '../../common/log.ts';
import type { CentrifugoNodeEndpoint, StackEndpoints, StackSecrets } from '../../common/stack-types.ts';
import type { CentrifugoConfig, CentrifugoConfigInput, CentrifugoConsumer } from '../centrifugo-config.ts';
import type { LocalRuntime } from '../local/local-runtime.ts';
import { prepareChatApp, prepareChatSchema, startChatApp } from '../services/chat-app.ts';
import { CHAT_APP_CDC_ROUTE, CHAT_APP_CONSUMERS } from '../services/chat-app-options.ts';
import type { KafkaTopic } from '../services/kafka.ts';
import { type CdcRoute, prepareCdcSource } from '../services/kafka-connect.ts';
import { startPushRelay } from '../services/push-relay.ts';
import { startPushSink } from '../services/push-sink.ts';
import type { SutRuntime } from '../services/sut.ts';
import type { Stack, StackHooks, StackStartOptions } from '../stack.ts';
import { type StackSpec, servicesFor } from '../stack-spec.ts';

/**
 * What the assembly reads from each started service. The providers' started handles (`StartedPostgres`,
 * `StartedPostgresContainer`, …) have these fields and more; the more is what the provider's own parts of the
 * kit (pausing, CPU) use.
 */
export interface StartedServices {
  postgres: { url: string; password: string; version: string };
  redis: { url: string; password: string; version: string };
  nats: { url: string; version: string };
  clickhouse: { url: string; version: string };
  kafka: { bootstrap: string; version: string; startSeconds: number };
  kafkaConnect: {
    restUrl: string;
    version: string;
    startSeconds: number;
    restart(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  };
  centrifugo: {
    nodes: CentrifugoNodeEndpoint[];
    config: CentrifugoConfig;
    version: string;
    killNode(index: number): Promise<void>;
    startNode(index: number): Promise<void>;
  };
}

/** A service the pause faults can stop and continue (a process by signal, a container by the engine). */
export interface Pausable {
  pause(): Promise<void>;
  resume(): Promise<void>;
}

/**
 * What a provider hands the assembly: one factory a service, each building that service's builder from what
 * the spec asks and starting it on the provider's runtime, plus the few parts where providers really differ.
 */
export interface StackKit<S extends StartedServices> {
  provider: Stack['provider'];
  /** Names the stack in the "starting …" log line. */
  title: string;
  /** Opens the cdc chain's log line. */
  cdcLabel: string;
  /** Where the reference system under test runs: the same start functions for every provider. */
  runtime: SutRuntime;
  /** Runs after the "starting …" line, before any service starts. */
  beforeServices?(): void;
  postgres(): Promise<S['postgres']>;
  redis(): Promise<S['redis']>;
  nats(): Promise<S['nats']>;
  clickhouse(): Promise<S['clickhouse']>;
  kafka(topics: KafkaTopic[]): Promise<S['kafka']>;
  kafkaConnect(
    bootstrap: string,
    postgres: S['postgres'],
    route: CdcRoute,
    offsetFlushMs: number | undefined,
  ): Promise<S['kafkaConnect']>;
  centrifugo(input: CentrifugoConfigInput, nodes: number, ports: number[]): Promise<S['centrifugo']>;
  pausable(service: S['postgres'] | S['redis'] | S['nats']): Pausable;
  /** Whether `down()` must continue paused services before the teardown (a stopped process ignores SIGTERM). */
  resumeBeforeDown: boolean;
  /** Versions only this provider has, recorded after the services'. */
  versions: Record<string, string>;
  cpuSeconds(): Record<string, number>;
  processIds(): Record<string, number>;
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
 * Starts the spec's stack from a provider's kit: the same order, parallelism, secrets, hooks and endpoints
 * whichever provider runs it. `owner` holds the teardown: if anything fails half-way — `kitFor` included —
 * what did start is stopped before the error propagates.
 */
export async function assembleStack<S extends StartedServices>(
  spec: StackSpec,
  options: StackStartOptions,
  hooks: StackHooks,
  owner: LocalRuntime,
  kitFor: () => Promise<StackKit<S>>,
): Promise<Stack> {
  let connectStart: Promise<S['kafkaConnect']> | undefined;
  try {
    const started = performance.now();
    // The kit first: a provider that cannot run here (no container engine) says so whatever the spec asks for.
    const kit = await kitFor();
    const wanted = servicesFor(spec);
    const sut = [spec.pushSink && 'push-sink', spec.pushRelay && 'push-relay', spec.chatApp && 'chat-app'].filter(
      Boolean,
    );
    log.info(
      'stack',
      `starting ${kit.title}: ${['centrifugo', ...wanted, ...sut].join(', ')} (logs in ${options.logsDir})`,
    );
    kit.beforeServices?.();
    // In parallel, but every start settles before a failure propagates: nothing is left half-started.
    const postgresStart = wanted.has('postgres') ? kit.postgres() : undefined;
    const kafkaStart = wanted.has('kafka') ? kit.kafka(kafkaTopics(spec)) : undefined;
    // Kafka Connect (a JVM: seconds) starts as soon as PostgreSQL has the CDC table and its slot and Kafka is
    // up, beside everything that follows (other services, seeding, Centrifugo); it starts nothing if either failed.
    const route = { ...CHAT_APP_CDC_ROUTE, topic: cdcTopic(spec) };
    connectStart = wanted.has('kafka-connect')
      ? (async () => {
          const [pg, broker] = await Promise.all([postgresStart!, kafkaStart!]);
          await prepareChatSchema(pg.url, spec.consumers);
          await prepareCdcSource(pg.url, route);
          const flushMs = spec.chatApp?.connectOffsetFlushMs;
          return kit.kafkaConnect(broker.bootstrap, pg, route, typeof flushMs === 'number' ? flushMs : undefined);
        })()
      : undefined;
    // Awaited below; until then a failure must not surface as an unhandled rejection.
    connectStart?.catch(() => {});
    const [postgres, redis, nats, clickhouse, kafka] = await allSettledOrThrow([
      postgresStart,
      wanted.has('redis') ? kit.redis() : undefined,
      wanted.has('nats') ? kit.nats() : undefined,
      wanted.has('clickhouse') ? kit.clickhouse() : undefined,
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

    const centrifugoStart = kit.centrifugo(
      {
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
      },
      spec.nodes,
      spec.centrifugoPorts ?? [],
    );
    const [centrifugo, kafkaConnect] = await allSettledOrThrow([centrifugoStart, connectStart] as const);
    if (kafka) {
      log.info(
        'stack',
        `${kit.cdcLabel}: Kafka ${kafka.version} (KRaft) ready in ${kafka.startSeconds.toFixed(1)}s` +
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
    const runtime = kit.runtime;
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
    Object.assign(versions, kit.versions);
    const pausable: Record<string, Pausable | undefined> = {
      postgres: postgres && kit.pausable(postgres),
      redis: redis && kit.pausable(redis),
      nats: nats && kit.pausable(nats),
    };
    const pausableOrThrow = (service: string): Pausable => {
      const found = pausable[service];
      if (!found) throw new Error(`${service} is not part of this stack`);
      return found;
    };
    log.info('stack', `ready in ${((performance.now() - started) / 1000).toFixed(1)}s`);

    return {
      runId: options.runId,
      provider: kit.provider,
      endpoints,
      versions,
      secrets,
      logsDir: options.logsDir,
      centrifugoConfig: centrifugo.config,
      crashed: owner.crashed,
      cpuSeconds: () => kit.cpuSeconds(),
      processIds: () => kit.processIds(),
      faults: {
        killCentrifugoNode: (index) => centrifugo.killNode(index),
        startCentrifugoNode: (index) => centrifugo.startNode(index),
        pauseService: async (service) => pausableOrThrow(service).pause(),
        resumeService: async (service) => pausableOrThrow(service).resume(),
        async restartService(service, options) {
          if (service !== 'kafka-connect' || !kafkaConnect) throw new Error(`${service} is not part of this stack`);
          await kafkaConnect.restart(options?.kill === false ? 'SIGTERM' : 'SIGKILL');
        },
      },
      down: async () => {
        if (kit.resumeBeforeDown) for (const service of Object.values(pausable)) await service?.resume();
        await owner.close();
      },
    };
  } catch (error) {
    // A Kafka Connect start still under way would start its JVM or container after the teardown: let it settle.
    await connectStart?.catch(() => {});
    await owner.close();
    throw error;
  }
}

/** Fills a mode's consumer request with the addresses of the services this stack started. */
function resolveConsumer(
  consumer: StackSpec['consumers'][number],
  started: {
    postgres?: StartedServices['postgres'];
    redis?: StartedServices['redis'];
    nats?: StartedServices['nats'];
    kafka?: StartedServices['kafka'];
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

async function allSettledOrThrow<T extends readonly unknown[]>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as never;
}
