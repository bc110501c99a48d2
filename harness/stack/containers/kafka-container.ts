import { cpSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formattedStorage, type KafkaTopic, kafkaBrokerSettings, waitForKafka } from '../services/kafka.ts';
import { jvmArgs, propertiesText, requireJvm } from '../services/kafka-jvm.ts';
import type { ContainerService } from './container-service.ts';
import type { ContainersRuntime } from './containers-runtime.ts';
import { ensureServiceImage } from './images.ts';
import { ensureJvmImage } from './jvm-image.ts';

export interface StartedKafkaContainer {
  /** `127.0.0.1:<port>`: what Kafka clients (Connect, Centrifugo) take as bootstrap servers. */
  bootstrap: string;
  version: string;
  container: ContainerService;
  /** Seconds from the container's start request to ready (topics created). */
  startSeconds: number;
}

/**
 * Kafka (KRaft, one node that is broker and controller) in a container: the image `apache/kafka:<version>`
 * (built here from this machine's Java and the cdc jars when absent), the local service's settings and
 * JVM flags (`kafkaBrokerSettings`, `jvmArgs`), its config, storage and log4j file in the run's folder
 * (mounted at its own path), listeners on 127.0.0.1. Ready as local: a client gets cluster metadata, then
 * the consumers' topics are created.
 */
export class KafkaContainer {
  private readonly topics: KafkaTopic[] = [];
  private heapMb = 384;
  private readyTimeoutMs = 90_000;

  withTopic(topic: KafkaTopic): this {
    this.topics.push(topic);
    return this;
  }

  withHeapMb(mb: number): this {
    this.heapMb = mb;
    return this;
  }

  withReadyTimeoutMs(ms: number): this {
    this.readyTimeoutMs = ms;
    return this;
  }

  async start(runtime: ContainersRuntime): Promise<StartedKafkaContainer> {
    const jvm = requireJvm();
    const image = ensureServiceImage(runtime.engine.cli, 'kafka', (name) =>
      ensureJvmImage(runtime.engine.cli, name, jvm),
    );
    const port = await runtime.port('Kafka');
    const controllerPort = await runtime.port('Kafka controller');
    const dir = runtime.dir('kafka');
    const configFile = path.join(dir, 'server.properties');
    const settings = kafkaBrokerSettings({ port, controllerPort, dataDir: path.join(dir, 'data') });
    writeFileSync(configFile, propertiesText(settings));

    const started = performance.now();
    // Formatted once per machine by the host's Java (a file template, cached), copied into the mounted folder.
    cpSync(await formattedStorage(runtime.local, jvm, dir, settings), path.join(dir, 'data'), { recursive: true });
    const container = await runtime.start({
      name: 'kafka',
      image,
      entrypoint: [realpathSync(jvm.java.path)],
      command: jvmArgs(jvm, { dir, heapMb: this.heapMb, mainClass: 'kafka.Kafka', args: [configFile] }),
      workingDir: dir,
      // Its data goes with the run's folder: a graceful stop saves nothing worth waiting for.
      stopTimeoutMs: 5000,
    });
    const bootstrap = `127.0.0.1:${port}`;
    await waitForKafka(container, bootstrap, this.topics, { signal: runtime.signal, timeoutMs: this.readyTimeoutMs });
    return {
      bootstrap,
      version: jvm.jars.kafkaVersion,
      container,
      startSeconds: (performance.now() - started) / 1000,
    };
  }
}
