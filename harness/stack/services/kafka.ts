import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { UserError } from '../../common/errors.ts';
import type { LocalRuntime } from '../local/local-runtime.ts';
import type { ManagedProcess, ServiceProcess } from '../local/managed-process.ts';
import { customProbe, waitUntilReady } from '../local/readiness.ts';
import { toolsCacheDir } from '../toolchain/paths.ts';
import { type Jvm, jvmArgs, propertiesText, requireJvm } from './kafka-jvm.ts';

export interface StartedKafka {
  /** `127.0.0.1:<port>`: what Kafka clients (Connect, Centrifugo) take as bootstrap servers. */
  bootstrap: string;
  host: string;
  port: number;
  version: string;
  process: ManagedProcess;
  /** Seconds from spawn to ready (storage format included): JVMs start slowly, and the result says how slowly. */
  startSeconds: number;
}

/** A topic created before anything produces to it or consumes from it. */
export interface KafkaTopic {
  name: string;
  partitions: number;
}

/**
 * The biggest record the chain carries: GrandChat's Kafka takes 10 MiB messages, and a 100k-member
 * broadcast is ~1.8 MB of channel names (the broker's default limit is 1 MiB).
 */
export const KAFKA_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/** A kafkajs client that logs nothing (its errors surface as rejections the callers report). */
export function kafkaClient(bootstrap: string, clientId: string): Kafka {
  return new Kafka({ brokers: [bootstrap], clientId, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
}

/**
 * The broker's `server.properties`: one KRaft node that is broker and controller, listeners on 127.0.0.1
 * only. Shared by the local service and its container (same settings, same files in the run's folder).
 */
export function kafkaBrokerSettings(
  listen: { port: number; controllerPort: number; dataDir: string },
  overrides: Record<string, string> = {},
): Record<string, string | number> {
  return {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${listen.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${listen.port},CONTROLLER://127.0.0.1:${listen.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${listen.port}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': listen.dataDir,
    // One node: every internal topic with one replica, one partition where the default is 50.
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // A consumer group's first member starts at once instead of waiting 3 s for others.
    'group.initial.rebalance.delay.ms': 0,
    'message.max.bytes': KAFKA_MAX_MESSAGE_BYTES,
    'replica.fetch.max.bytes': KAFKA_MAX_MESSAGE_BYTES,
    'num.partitions': 1,
    ...overrides,
  };
}

/**
 * Ready when a client gets cluster metadata; then the topics the stack needs are created (Centrifugo's
 * consumer would otherwise wait for a topic that appears only with the first record).
 */
export async function waitForKafka(
  proc: ServiceProcess,
  bootstrap: string,
  topics: KafkaTopic[],
  options: { signal: AbortSignal | undefined; timeoutMs: number },
): Promise<void> {
  const admin = kafkaClient(bootstrap, 'bench-stack').admin();
  try {
    await waitUntilReady(
      proc,
      customProbe(`Kafka metadata from ${bootstrap}`, async () => {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0;
      }),
      { signal: options.signal, timeoutMs: options.timeoutMs, intervalMs: 200 },
    );
    if (topics.length > 0) {
      await admin.createTopics({
        topics: topics.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1 })),
        waitForLeaders: true,
      });
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * A throwaway single-node Kafka in KRaft mode (no ZooKeeper): one JVM that is broker and controller,
 * listeners on 127.0.0.1 only, storage formatted in the run's folder. Ready when a client gets cluster
 * metadata; the topics the stack needs exist before it returns (Centrifugo's consumer would otherwise
 * wait for a topic that appears only with the first record).
 */
export class KafkaService {
  private port: number | undefined;
  private heapMb = 384;
  private readyTimeoutMs = 90_000;
  private readonly topics: KafkaTopic[] = [];
  private readonly settings: Record<string, string> = {};

  withPort(port: number): this {
    this.port = port;
    return this;
  }

  withTopic(topic: KafkaTopic): this {
    this.topics.push(topic);
    return this;
  }

  withHeapMb(mb: number): this {
    this.heapMb = mb;
    return this;
  }

  /** A broker setting over the defaults below (tests use it to make a broker that never becomes ready). */
  withSetting(name: string, value: string): this {
    this.settings[name] = value;
    return this;
  }

  withReadyTimeoutMs(ms: number): this {
    this.readyTimeoutMs = ms;
    return this;
  }

  async start(runtime: LocalRuntime): Promise<StartedKafka> {
    const jvm = requireJvm();
    const port = await runtime.port('Kafka', this.port);
    const controllerPort = await runtime.port('Kafka controller');
    const dir = runtime.dir('kafka');
    const configFile = path.join(dir, 'server.properties');
    const settings = kafkaBrokerSettings({ port, controllerPort, dataDir: path.join(dir, 'data') }, this.settings);
    writeFileSync(configFile, propertiesText(settings));

    const started = performance.now();
    cpSync(await formattedStorage(runtime, jvm, dir, settings), path.join(dir, 'data'), { recursive: true });

    const proc = runtime.spawn({
      name: 'kafka',
      command: jvm.java.path,
      args: jvmArgs(jvm, { dir, heapMb: this.heapMb, mainClass: 'kafka.Kafka', args: [configFile] }),
      cwd: dir,
    });
    const bootstrap = `127.0.0.1:${port}`;
    await waitForKafka(proc, bootstrap, this.topics, { signal: runtime.signal, timeoutMs: this.readyTimeoutMs });
    return {
      bootstrap,
      host: '127.0.0.1',
      port,
      version: jvm.jars.kafkaVersion,
      process: proc,
      startSeconds: (performance.now() - started) / 1000,
    };
  }
}

/**
 * KRaft storage formatted once per machine and Kafka version, copied into each stack: formatting is a JVM
 * start of its own (about a second), and its output does not depend on ports or paths — node 1, a static
 * voter set, a cluster id (shared by every stack: each is a separate broker on its own loopback port).
 */
export async function formattedStorage(
  runtime: LocalRuntime,
  jvm: Jvm,
  dir: string,
  settings: Record<string, string | number>,
): Promise<string> {
  const template = path.join(toolsCacheDir(), `kafka-${jvm.jars.kafkaVersion}-kraft-storage`);
  if (existsSync(path.join(template, 'meta.properties'))) return template;
  const scratch = `${template}.format-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(path.dirname(scratch), { recursive: true });
  const clusterId = randomBytes(16).toString('base64url'); // a Kafka Uuid: 16 bytes, base64url
  // The stack's settings, formatted where the template is kept.
  const configFile = path.join(dir, 'format.properties');
  writeFileSync(configFile, propertiesText({ ...settings, 'log.dirs': scratch }));
  const format = await runtime.runToCompletion({
    name: 'kafka-storage-format',
    logName: 'kafka',
    command: jvm.java.path,
    args: jvmArgs(jvm, {
      dir,
      heapMb: 128,
      mainClass: 'kafka.tools.StorageTool',
      args: ['format', '-t', clusterId, '-c', configFile],
    }),
  });
  if (format.status?.code !== 0 || !existsSync(path.join(scratch, 'meta.properties'))) {
    rmSync(scratch, { recursive: true, force: true });
    throw new UserError(
      `formatting Kafka's storage failed (exit ${format.status?.code}); its log is ${format.logFile}`,
      {
        details: format.logTail(),
      },
    );
  }
  try {
    renameSync(scratch, template);
  } catch {
    // Another stack formatted it meanwhile: theirs is as good.
    rmSync(scratch, { recursive: true, force: true });
  }
  return template;
}
