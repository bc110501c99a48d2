import { realpathSync } from 'node:fs';
import { KafkaConnectBuilder, waitForTask } from '../services/kafka-connect.ts';
import { requireJvm } from '../services/kafka-jvm.ts';
import type { ContainerService } from './container-service.ts';
import type { ContainersRuntime } from './containers-runtime.ts';
import { ensureServiceImage } from './images.ts';
import { ensureJvmImage } from './jvm-image.ts';

export interface StartedKafkaConnectContainer {
  restUrl: string;
  /** Debezium's version (what the chain's behaviour depends on), as the local service reports it. */
  version: string;
  container: ContainerService;
  /** Seconds from the container's start request to the connector's task RUNNING. */
  startSeconds: number;
  /**
   * The `restart-service` fault: signals the container (SIGKILL: a crash, offsets since the last flush are
   * lost; SIGTERM: a graceful stop that saves them), starts the same container again (same files: the
   * offsets file is in the mounted run folder) and resolves when its task runs again.
   */
  restart(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
}

/**
 * Kafka Connect standalone with Debezium's PostgreSQL connector and outbox event router in a container: the
 * image `quay.io/debezium/connect:<debezium version>` (built here from this machine's Java and the cdc jars
 * when absent; the same files as Kafka's image, so a tag of it), the local service's worker and connector
 * files (`writeConnectFiles`, in the mounted run folder) and JVM flags; ready as local, when the connector
 * and its task are RUNNING (a FAILED task fails at once with its trace).
 */
export class KafkaConnectContainer extends KafkaConnectBuilder {
  async start(runtime: ContainersRuntime): Promise<StartedKafkaConnectContainer> {
    const jvm = requireJvm();
    const image = ensureServiceImage(runtime.engine.cli, 'kafka-connect', (name) =>
      ensureJvmImage(runtime.engine.cli, name, jvm),
    );
    const { dir, restUrl, args } = await this.prepare(runtime, jvm);
    const started = performance.now();
    const container = await runtime.start({
      name: 'kafka-connect',
      image,
      entrypoint: [realpathSync(jvm.java.path)],
      command: args,
      workingDir: dir,
      stopTimeoutMs: 5000,
    });
    await waitForTask(container, restUrl, runtime.signal);
    return {
      restUrl,
      version: jvm.jars.debeziumVersion,
      container,
      startSeconds: (performance.now() - started) / 1000,
      async restart(signal = 'SIGKILL') {
        await container.kill(signal);
        await container.restart();
        await waitForTask(container, restUrl, runtime.signal);
      },
    };
  }
}
