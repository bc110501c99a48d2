import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { UserError } from '../../common/errors.ts';
import { registerSecret } from '../../common/log.ts';
import type { LocalRuntime } from '../local/local-runtime.ts';
import type { ManagedProcess, ServiceProcess } from '../local/managed-process.ts';
import { customProbe, waitUntilReady } from '../local/readiness.ts';
import { KAFKA_MAX_MESSAGE_BYTES } from './kafka.ts';
import { type Jvm, jvmArgs, propertiesText, requireJvm } from './kafka-jvm.ts';

/** What Debezium streams, and where to: GrandChat's CDC table, through the outbox event router, to one topic. */
export interface CdcRoute {
  /** `schema.table` Debezium reads (GrandChat: public.chat_cdc). */
  table: string;
  /** The replication slot and publication, created before Connect starts (so nothing committed is missed). */
  slot: string;
  publication: string;
  /** The topic Centrifugo's kafka consumer reads. */
  topic: string;
}

export interface CdcDatabase {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

export interface StartedKafkaConnect {
  restUrl: string;
  version: string;
  process: ManagedProcess;
  /** Seconds from spawn to the connector's task RUNNING. */
  startSeconds: number;
  /**
   * Stops the worker (SIGKILL: a crash, whose offsets since the last flush are not saved; SIGTERM: a
   * graceful stop that saves them) and starts it again; resolves when its task runs again.
   */
  restart(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
}

const CONNECTOR_NAME = 'chat-cdc';

/**
 * Creates the publication (the table's changes) and the logical replication slot Debezium reads, once the
 * table exists and before the app writes: the slot keeps every change from its creation on, so rows
 * committed while Connect is still starting (or restarting) are streamed, not skipped.
 */
export async function prepareCdcSource(databaseUrl: string, route: CdcRoute): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'cdc-prepare' });
  await client.connect();
  try {
    const publication = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [route.publication]);
    if (publication.rowCount === 0) {
      const table = route.table.split('.').map(pg.escapeIdentifier).join('.');
      await client.query(`CREATE PUBLICATION ${pg.escapeIdentifier(route.publication)} FOR TABLE ${table}`);
    }
    const slot = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [route.slot]);
    if (slot.rowCount === 0) {
      await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [route.slot]);
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Writes Connect's two files into `dir`: the standalone worker (`worker.properties`: offsets in a file beside
 * it, REST on 127.0.0.1) and the connector (`chat-cdc.properties`, mode 0600). Shared by the local service and
 * its container (the run's folder is mounted at its own path, so the files are the same on both sides).
 */
export function writeConnectFiles(
  dir: string,
  options: { bootstrap: string; restPort: number; offsetFlushMs: number; database: CdcDatabase; route: CdcRoute },
): { workerFile: string; connectorFile: string } {
  const workerFile = path.join(dir, 'worker.properties');
  writeFileSync(
    workerFile,
    propertiesText({
      'bootstrap.servers': options.bootstrap,
      listeners: `http://127.0.0.1:${options.restPort}`,
      'rest.advertised.host.name': '127.0.0.1',
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'offset.storage.file.filename': path.join(dir, 'offsets.dat'),
      'offset.flush.interval.ms': options.offsetFlushMs,
      // The plugins are on the class path with ServiceLoader manifests: no reflective scan of 100 jars.
      'plugin.discovery': 'service_load',
      'producer.max.request.size': KAFKA_MAX_MESSAGE_BYTES,
      // Kafka 4 batches for 5 ms by default; GrandChat's Connect (Kafka 3.6) sent at once.
      'producer.linger.ms': 0,
    }),
  );
  const connectorFile = path.join(dir, 'chat-cdc.properties');
  // Mode 0600: it holds the database password.
  writeFileSync(
    connectorFile,
    propertiesText({
      name: CONNECTOR_NAME,
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'tasks.max': 1,
      'plugin.name': 'pgoutput',
      'database.hostname': options.database.host,
      'database.port': options.database.port,
      'database.user': options.database.user,
      'database.password': options.database.password,
      'database.dbname': options.database.database,
      'topic.prefix': 'chat',
      'table.include.list': options.route.table,
      'slot.name': options.route.slot,
      'publication.name': options.route.publication,
      'publication.autocreate.mode': 'disabled',
      // Only what is committed from the slot's creation on: the table's past is not replayed.
      'snapshot.mode': 'no_data',
      'poll.interval.ms': 50,
      transforms: 'outbox',
      'transforms.outbox.type': 'io.debezium.transforms.outbox.EventRouter',
      'transforms.outbox.table.field.event.id': 'id',
      'transforms.outbox.table.field.event.key': 'partition',
      'transforms.outbox.table.field.event.payload': 'payload',
      'transforms.outbox.table.fields.additional.placement': 'method:header:centrifugo-method',
      'transforms.outbox.route.by.field': 'method',
      'transforms.outbox.route.topic.replacement': options.route.topic,
    }),
    { mode: 0o600 },
  );

  return { workerFile, connectorFile };
}

/**
 * What both providers' Connect builders share (KafkaConnectService here, KafkaConnectContainer): the settings,
 * and the worker prepared from them in the run's folder, so a process and a container run the same worker.
 */
export abstract class KafkaConnectBuilder {
  protected port: number | undefined;
  protected heapMb = 512;
  protected offsetFlushMs = 60_000;

  constructor(
    protected readonly bootstrap: string,
    protected readonly database: CdcDatabase,
    protected readonly route: CdcRoute,
  ) {}

  withHeapMb(mb: number): this {
    this.heapMb = mb;
    return this;
  }

  /**
   * How often the worker saves source offsets (Kafka's default, 60 s, as GrandChat's Connect runs): after
   * a crash, Debezium re-sends everything since the last save — duplicates in Kafka that Centrifugo's
   * idempotency keys drop.
   */
  withOffsetFlushMs(ms: number): this {
    this.offsetFlushMs = ms;
    return this;
  }

  /** Takes the REST port, writes the worker and connector files; returns the folder, REST URL and JVM arguments. */
  protected async prepare(
    runtime: { port(what: string, explicit?: number): Promise<number>; dir(name: string): string },
    jvm: Jvm,
  ): Promise<{ dir: string; restUrl: string; args: string[] }> {
    const port = await runtime.port('Kafka Connect REST', this.port);
    const dir = runtime.dir('kafka-connect');
    registerSecret(this.database.password);
    const { workerFile, connectorFile } = writeConnectFiles(dir, {
      bootstrap: this.bootstrap,
      restPort: port,
      offsetFlushMs: this.offsetFlushMs,
      database: this.database,
      route: this.route,
    });
    const args = jvmArgs(jvm, {
      dir,
      heapMb: this.heapMb,
      mainClass: 'org.apache.kafka.connect.cli.ConnectStandalone',
      args: [workerFile, connectorFile],
    });
    return { dir, restUrl: `http://127.0.0.1:${port}`, args };
  }
}

/**
 * Kafka Connect in standalone mode (offsets in a file in the run's folder: one worker, no internal topics)
 * running Debezium's PostgreSQL connector (`pgoutput`) with Debezium's outbox event router: each inserted
 * `chat_cdc` row becomes one Kafka record whose value is the row's `payload` (the API request, as raw JSON:
 * StringConverter), whose header `centrifugo-method` is the row's `method`, and whose key is the row's
 * `partition` (the room: one room's records stay in one partition, in order). That is the shape
 * Centrifugo's kafka consumer executes (internal/consuming/kafka.go: header present → value = request).
 */
export class KafkaConnectService extends KafkaConnectBuilder {
  withPort(port: number): this {
    this.port = port;
    return this;
  }

  async start(runtime: LocalRuntime): Promise<StartedKafkaConnect> {
    const jvm = requireJvm();
    const { dir, restUrl, args } = await this.prepare(runtime, jvm);
    const spawn = () =>
      runtime.spawn({
        name: 'kafka-connect',
        command: jvm.java.path,
        args,
        cwd: dir,
      });
    const ready = (proc: ManagedProcess) => waitForTask(proc, restUrl, runtime.signal);

    const started = performance.now();
    let proc = spawn();
    await ready(proc);
    const service: StartedKafkaConnect = {
      restUrl,
      version: jvm.jars.debeziumVersion,
      process: proc,
      startSeconds: (performance.now() - started) / 1000,
      async restart(signal = 'SIGKILL') {
        await proc.stop({ signal, timeoutMs: 30_000 });
        proc = spawn();
        service.process = proc;
        await ready(proc);
      },
    };
    return service;
  }
}

/**
 * Waits for the connector and its one task to be RUNNING. A FAILED task ends the wait at once (the probe
 * passes on it) and fails with its trace: waiting out the timeout would only delay the same answer.
 */
export async function waitForTask(
  proc: ServiceProcess,
  restUrl: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const url = `${restUrl}/connectors/${CONNECTOR_NAME}/status`;
  let failed: string | undefined;
  await waitUntilReady(
    proc,
    customProbe(`GET ${url} → connector and task RUNNING`, async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.status !== 200) return false;
      const status = (await response.json()) as {
        connector?: { state?: string; trace?: string };
        tasks?: { state?: string; trace?: string }[];
      };
      const task = status.tasks?.[0];
      if (status.connector?.state === 'FAILED' || task?.state === 'FAILED') {
        failed = task?.trace ?? status.connector?.trace ?? 'no trace';
        return true;
      }
      return status.connector?.state === 'RUNNING' && task?.state === 'RUNNING';
    }),
    { signal, timeoutMs: 120_000, intervalMs: 200 },
  );
  if (failed) {
    throw new UserError(`Debezium's connector ${CONNECTOR_NAME} failed; the worker's log is ${proc.logFile}`, {
      details: failed.split('\n').slice(0, 8),
    });
  }
}
