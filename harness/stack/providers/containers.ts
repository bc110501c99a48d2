import { randomBytes } from 'node:crypto';
import { UserError } from '../../common/errors.ts';
import { log, registerSecret } from '../../common/log.ts';
import type { StackEndpoints, StackSecrets } from '../../common/stack-types.ts';
import type { CentrifugoConsumer } from '../centrifugo-config.ts';
import { CentrifugoContainers } from '../containers/centrifugo-container.ts';
import { ClickHouseContainer } from '../containers/clickhouse-container.ts';
import type { ContainerService } from '../containers/container-service.ts';
import { ContainersRuntime } from '../containers/containers-runtime.ts';
import { connectEngine } from '../containers/engine-service.ts';
import { ensureHarnessImage } from '../containers/harness-image.ts';
import { NatsContainer, type StartedNatsContainer } from '../containers/nats-container.ts';
import { PostgresContainer, type StartedPostgresContainer } from '../containers/postgres-container.ts';
import { RedisContainer, type StartedRedisContainer } from '../containers/redis-container.ts';
import { LocalRuntime } from '../local/local-runtime.ts';
import { prepareChatApp, startChatApp } from '../services/chat-app.ts';
import { startPushRelay } from '../services/push-relay.ts';
import { startPushSink } from '../services/push-sink.ts';
import type { Stack, StackHooks, StackStartOptions } from '../stack.ts';
import { type StackSpec, servicesFor } from '../stack-spec.ts';

/** Services and consumers this provider has no container for yet: the spec is refused naming them, before anything starts. */
function unsupported(spec: StackSpec): string[] {
  const services = [...servicesFor(spec)].filter((s) => s === 'kafka' || s === 'kafka-connect');
  const consumers = spec.consumers
    .filter((c) => c.type !== 'postgresql' && c.type !== 'redis_stream' && c.type !== 'nats_jetstream')
    .map((c) => `the ${c.type} consumer ${c.name}`);
  return [...services, ...consumers];
}

function resolveConsumer(
  consumer: StackSpec['consumers'][number],
  started: { postgres?: StartedPostgresContainer; redis?: StartedRedisContainer; nats?: StartedNatsContainer },
): CentrifugoConsumer {
  if (consumer.type === 'postgresql') return { ...consumer, dsn: started.postgres!.url };
  if (consumer.type === 'redis_stream') return { ...consumer, redisUrl: started.redis!.url };
  if (consumer.type === 'nats_jetstream') return { ...consumer, natsUrl: started.nats!.url };
  throw new UserError(`provider containers: consumer ${consumer.name} (${consumer.type}) is not supported`);
}

/**
 * The same stack as the local provider — same spec, same services and settings, same endpoints and
 * hooks — with every service in a container: PostgreSQL, Redis and Centrifugo from their official images
 * (built here from the local provider's binaries when absent), the push sink, push relay and chat app
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
  try {
    const started = performance.now();
    // The engine first: without one, that is the reason to give, whatever the spec asks for.
    const engine = await connectEngine(local);
    const missing = unsupported(spec);
    if (missing.length > 0) {
      throw new UserError(
        `provider containers: no container yet for ${missing.join(', ')}; use provider local for this stack`,
      );
    }
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
    const [postgres, redis, nats, clickhouse] = await allSettledOrThrow([
      wanted.has('postgres') ? new PostgresContainer().start(runtime) : undefined,
      wanted.has('redis') ? new RedisContainer().start(runtime) : undefined,
      wanted.has('nats') ? new NatsContainer().start(runtime) : undefined,
      wanted.has('clickhouse') ? new ClickHouseContainer().start(runtime) : undefined,
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
    };
    if (spec.chatApp) {
      await prepareChatApp({ endpoints: endpointsBeforeCentrifugo, consumers: spec.consumers, options: spec.chatApp });
    }
    await hooks.beforeCentrifugo?.(endpointsBeforeCentrifugo);

    const centrifugo = await new CentrifugoContainers({
      engine: spec.engine,
      redisUrl: redis?.url,
      natsUrl: nats?.url,
      hmacSecret: secrets.centrifugoHmacSecret,
      apiKey: secrets.centrifugoApiKey,
      consumers: spec.consumers.map((c) => resolveConsumer(c, { postgres, redis, nats })),
      logLevel: spec.centrifugo.logLevel,
      clientQueueMaxSize: spec.centrifugo.clientQueueMaxSize,
      personalHistorySize: spec.centrifugo.personalHistorySize,
      pingInterval: spec.centrifugo.pingInterval,
      pongTimeout: spec.centrifugo.pongTimeout,
    })
      .withNodes(spec.nodes)
      .start(runtime, spec.centrifugoPorts ?? []);

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
      // Container CPU is the engine's to report (cgroups); not read yet, so unknown, as the Stack contract allows.
      cpuSeconds: () => ({}),
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
      },
      down: () => local.close(),
    };
  } catch (error) {
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
