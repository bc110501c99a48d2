import { CentrifugoContainers, type StartedCentrifugoContainers } from '../containers/centrifugo-container.ts';
import { ClickHouseContainer, type StartedClickHouseContainer } from '../containers/clickhouse-container.ts';
import type { ContainerService } from '../containers/container-service.ts';
import { ContainersRuntime } from '../containers/containers-runtime.ts';
import { connectEngine, type EngineConnection } from '../containers/engine-service.ts';
import { ensureHarnessImage } from '../containers/harness-image.ts';
import { KafkaConnectContainer, type StartedKafkaConnectContainer } from '../containers/kafka-connect-container.ts';
import { KafkaContainer, type StartedKafkaContainer } from '../containers/kafka-container.ts';
import { NatsContainer, type StartedNatsContainer } from '../containers/nats-container.ts';
import { PostgresContainer, type StartedPostgresContainer } from '../containers/postgres-container.ts';
import { RedisContainer, type StartedRedisContainer } from '../containers/redis-container.ts';
import { LocalRuntime } from '../local/local-runtime.ts';
import type { CdcDatabase } from '../services/kafka-connect.ts';
import type { Stack, StackHooks, StackStartOptions } from '../stack.ts';
import type { StackSpec } from '../stack-spec.ts';
import { assembleStack, type Pausable, type StackKit } from './assemble-stack.ts';

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
  // The engine first (inside the assembly's teardown): without one, that is the reason to give, whatever the spec asks for.
  return assembleStack(spec, options, hooks, local, async () => containersKit(spec, local, await connectEngine(local)));
}

/** Each service's builder started as a container on `engine`; the push sink, relay and chat app in the harness image. */
function containersKit(spec: StackSpec, local: LocalRuntime, engine: EngineConnection): StackKit<ContainersServices> {
  let harnessImage: string | undefined;
  const runtime = new ContainersRuntime(local, engine, () => {
    harnessImage ??= ensureHarnessImage(engine.cli).image;
    return harnessImage;
  });
  return {
    provider: 'containers',
    title: `containers stack on ${engine.version} (${engine.socket})`,
    cdcLabel: 'cdc chain (containers)',
    runtime,
    beforeServices() {
      // Built (when the repository changed) before any service starts: the build is CPU-bound, startups are not.
      if (spec.pushSink || spec.pushRelay || spec.chatApp) harnessImage = ensureHarnessImage(engine.cli).image;
    },
    postgres: () => new PostgresContainer().start(runtime),
    redis: () => new RedisContainer().start(runtime),
    nats: () => new NatsContainer().start(runtime),
    clickhouse: () => new ClickHouseContainer().start(runtime),
    kafka(topics) {
      const kafka = new KafkaContainer();
      for (const topic of topics) kafka.withTopic(topic);
      return kafka.start(runtime);
    },
    kafkaConnect(bootstrap, postgres, route, offsetFlushMs) {
      const connect = new KafkaConnectContainer(bootstrap, cdcDatabase(postgres.url), route);
      if (offsetFlushMs !== undefined) connect.withOffsetFlushMs(offsetFlushMs);
      return connect.start(runtime);
    },
    centrifugo: (input, nodes, ports) => new CentrifugoContainers(input).withNodes(nodes).start(runtime, ports),
    pausable: (service) => engineHeld(service.container),
    // The containers' removal wakes a paused one itself (ContainerService.remove).
    resumeBeforeDown: false,
    versions: { containerEngine: engine.version },
    // Each container's cgroup counter, by service name (as local's processes); the engine's API process is not counted.
    cpuSeconds: () => runtime.cpuSeconds(),
    processIds: () => ({}),
  };
}

interface ContainersServices {
  postgres: StartedPostgresContainer;
  redis: StartedRedisContainer;
  nats: StartedNatsContainer;
  clickhouse: StartedClickHouseContainer;
  kafka: StartedKafkaContainer;
  kafkaConnect: StartedKafkaConnectContainer;
  centrifugo: StartedCentrifugoContainers;
}

/** Pause and resume through the engine API (pause / unpause). */
function engineHeld(container: ContainerService): Pausable {
  return { pause: () => container.pause(), resume: () => container.unpause() };
}
