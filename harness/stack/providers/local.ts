import { LocalRuntime } from '../local/local-runtime.ts';
import type { ManagedProcess } from '../local/managed-process.ts';
import { cpuSecondsByGroup } from '../local/process-cpu.ts';
import { CentrifugoService, type StartedCentrifugo } from '../services/centrifugo.ts';
import { ClickHouseService, type StartedClickHouse } from '../services/clickhouse.ts';
import { KafkaService, type StartedKafka } from '../services/kafka.ts';
import { KafkaConnectService, type StartedKafkaConnect } from '../services/kafka-connect.ts';
import { NatsService, type StartedNats } from '../services/nats.ts';
import { PostgresService, type StartedPostgres } from '../services/postgres.ts';
import { RedisService, type StartedRedis } from '../services/redis.ts';
import type { Stack, StackHooks, StackStartOptions } from '../stack.ts';
import type { StackSpec } from '../stack-spec.ts';
import { assembleStack, type Pausable, type StackKit } from './assemble-stack.ts';

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
  return assembleStack(spec, options, hooks, runtime, async () => localKit(runtime));
}

/** Each service's builder started as a process of `runtime`. */
function localKit(runtime: LocalRuntime): StackKit<LocalServices> {
  const runningPids = () =>
    Object.fromEntries(
      runtime
        .processes()
        .filter((p) => p.running)
        .map((p) => [p.name, p.pid]),
    );
  return {
    provider: 'local',
    title: 'local stack',
    cdcLabel: 'cdc chain',
    runtime,
    postgres: () => new PostgresService().start(runtime),
    redis: () => new RedisService().start(runtime),
    nats: () => new NatsService().start(runtime),
    clickhouse: () => new ClickHouseService().start(runtime),
    kafka(topics) {
      const kafka = new KafkaService();
      for (const topic of topics) kafka.withTopic(topic);
      return kafka.start(runtime);
    },
    kafkaConnect(bootstrap, postgres, route, offsetFlushMs) {
      const connect = new KafkaConnectService(bootstrap, postgres, route);
      if (offsetFlushMs !== undefined) connect.withOffsetFlushMs(offsetFlushMs);
      return connect.start(runtime);
    },
    centrifugo: (input, nodes, ports) => new CentrifugoService(input).withNodes(nodes).withPorts(ports).start(runtime),
    pausable: (service) => signalled(service.process),
    // A paused process cannot handle SIGTERM: wake everything before the teardown stops it.
    resumeBeforeDown: true,
    versions: {},
    cpuSeconds: () => cpuSecondsByGroup(runningPids()),
    processIds: runningPids,
  };
}

interface LocalServices {
  postgres: StartedPostgres;
  redis: StartedRedis;
  nats: StartedNats;
  clickhouse: StartedClickHouse;
  kafka: StartedKafka;
  kafkaConnect: StartedKafkaConnect;
  centrifugo: StartedCentrifugo;
}

/** Pause and resume by SIGSTOP / SIGCONT. */
function signalled(proc: ManagedProcess): Pausable {
  return {
    pause: async () => proc.signal('SIGSTOP'),
    resume: async () => proc.signal('SIGCONT'),
  };
}
