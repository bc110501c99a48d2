/**
 * The jars of the cdc modes (Kafka broker, Kafka Connect, Debezium's PostgreSQL connector and outbox event
 * router): resolved by Maven from harness/stack/toolchain/kafka/pom.xml into the tools cache, once per machine,
 * like the Centrifugo build. Found without side effects by `findCdcJars()`; `resolveCdcJars()` is setup's step.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../common/errors.ts';
import { toolsCacheDir } from './paths.ts';

/** Pinned in kafka/pom.xml too (a test checks both say the same). Kafka: the version Debezium's BOM names. */
export const KAFKA_VERSION = '4.3.0';
export const DEBEZIUM_VERSION = '3.6.1.Final';
/** Kafka 4 brokers and Debezium 3 need Java 17. */
export const MIN_JAVA_MAJOR = 17;

export const CDC_JARS_POM = path.join(path.dirname(fileURLToPath(import.meta.url)), 'kafka', 'pom.xml');

/** Overrides the cache: a folder holding every jar (e.g. a Kafka distribution's libs/ plus Debezium's). */
export const CDC_JARS_ENV = 'CENTRIFUGO_BENCH_CDC_JARS';

/** The jars that must be there for the chain to start (the rest are their dependencies). */
const KEY_JARS = [
  `kafka_2.13-${KAFKA_VERSION}.jar`,
  `connect-runtime-${KAFKA_VERSION}.jar`,
  `debezium-connector-postgres-${DEBEZIUM_VERSION}.jar`,
  `debezium-connect-plugins-${DEBEZIUM_VERSION}.jar`,
];

export interface CdcJars {
  /** The folder of jars: the JVMs' class path is `<dir>/*`. */
  dir: string;
  kafkaVersion: string;
  debeziumVersion: string;
  jarCount: number;
  source: string;
}

export function cachedCdcJarsDir(): string {
  return path.join(toolsCacheDir(), `kafka-${KAFKA_VERSION}-debezium-${DEBEZIUM_VERSION}`, 'libs');
}

/** Where the jars are, when every key jar is there; undefined otherwise. */
export function findCdcJars(): CdcJars | undefined {
  const override = process.env[CDC_JARS_ENV];
  const dir = override || cachedCdcJarsDir();
  if (!existsSync(dir)) return undefined;
  const jars = readdirSync(dir).filter((f) => f.endsWith('.jar'));
  if (override) {
    // A folder of the user's: take the versions it has.
    const version = (prefix: string) =>
      jars.find((f) => f.startsWith(prefix))?.slice(prefix.length, -'.jar'.length) ?? undefined;
    const kafkaVersion = version('kafka_2.13-');
    const debeziumVersion = version('debezium-connector-postgres-');
    if (!kafkaVersion || !debeziumVersion || !version('connect-runtime-')) return undefined;
    return { dir, kafkaVersion, debeziumVersion, jarCount: jars.length, source: `$${CDC_JARS_ENV}` };
  }
  if (!KEY_JARS.every((jar) => jars.includes(jar))) return undefined;
  return {
    dir,
    kafkaVersion: KAFKA_VERSION,
    debeziumVersion: DEBEZIUM_VERSION,
    jarCount: jars.length,
    source: 'tools cache',
  };
}

/** The exact way to get the jars, for a message. */
export function cdcJarsHowToGet(): string {
  return (
    `run \`centrifugo-bench setup\` (resolves Kafka ${KAFKA_VERSION} and Debezium ${DEBEZIUM_VERSION} from ` +
    `Maven Central with ${path.relative(process.cwd(), CDC_JARS_POM) || CDC_JARS_POM} into ${path.dirname(cachedCdcJarsDir())}; ` +
    `needs Maven: apt-get install maven), or set $${CDC_JARS_ENV} to a folder holding them`
  );
}

/** Finds the jars or throws the exact way to get them (exit 2). */
export function requireCdcJars(): CdcJars {
  const found = findCdcJars();
  if (found) return found;
  const override = process.env[CDC_JARS_ENV];
  if (override) {
    throw new UserError(
      `$${CDC_JARS_ENV} points to ${override}, which holds no kafka_2.13, connect-runtime and ` +
        'debezium-connector-postgres jars; fix it or unset it',
    );
  }
  throw new UserError(
    `the cdc modes' jars (Kafka ${KAFKA_VERSION}, Debezium ${DEBEZIUM_VERSION}) are missing; ${cdcJarsHowToGet()}`,
  );
}

/**
 * `mvn dependency:copy-dependencies` into a scratch folder next to the cache entry, then one rename: a
 * half-copied folder is never found. `run` is setup's command runner (keeps the output's tail for errors).
 */
export async function resolveCdcJars(
  mvn: string,
  run: (command: string, args: string[], options: { progress?: string }) => Promise<{ code: number; output: string }>,
): Promise<CdcJars> {
  const target = cachedCdcJarsDir();
  const scratch = `${target}.resolve-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(path.dirname(target), { recursive: true });
  const result = await run(
    mvn,
    [
      '-B',
      '-q',
      '-f',
      CDC_JARS_POM,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${scratch}`,
      '-DincludeScope=runtime',
    ],
    { progress: `resolving Kafka ${KAFKA_VERSION} + Debezium ${DEBEZIUM_VERSION} jars` },
  );
  if (result.code !== 0 || !existsSync(scratch)) {
    rmSync(scratch, { recursive: true, force: true });
    throw new UserError(`resolving the cdc jars with Maven failed (mvn exited ${result.code})`, {
      details: result.output.trimEnd().split('\n').slice(-15),
      exitCode: 1,
    });
  }
  writeFileSync(
    path.join(scratch, 'RESOLVED'),
    `${JSON.stringify({ kafka: KAFKA_VERSION, debezium: DEBEZIUM_VERSION })}\n`,
  );
  rmSync(target, { recursive: true, force: true });
  renameSync(scratch, target);
  const found = findCdcJars();
  if (!found) throw new UserError(`Maven ran, but ${target} lacks one of ${KEY_JARS.join(', ')}`, { exitCode: 1 });
  return found;
}
