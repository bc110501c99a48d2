/**
 * How the cdc chain's JVMs (Kafka broker, Kafka Connect) are started: one class path (the jars `setup`
 * resolved), small heaps and flags that start fast on a small shared machine — the harness measures
 * latency through these services, not their peak throughput.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../common/errors.ts';
import { type CdcJars, MIN_JAVA_MAJOR, requireCdcJars } from '../toolchain/kafka-jars.ts';
import { type FoundTool, requireTool } from '../toolchain/tools.ts';

export interface Jvm {
  java: FoundTool;
  jars: CdcJars;
}

/** Java ≥ 17 and the jars, or the exact way to get what is missing (exit 2). */
export function requireJvm(): Jvm {
  const java = requireTool('java');
  const major = Number(java.version?.split('.')[0]);
  if (major && major < MIN_JAVA_MAJOR) {
    throw new UserError(
      `${java.path} is Java ${java.version}; Kafka 4 and Debezium 3 need Java ≥ ${MIN_JAVA_MAJOR}: ` +
        'apt-get install openjdk-17-jre-headless, or set $CENTRIFUGO_BENCH_JAVA to a Java 17+ `java`',
    );
  }
  return { java, jars: requireCdcJars() };
}

/** Log4j 2 to stdout (the runtime writes it to the service's log file); INFO, quieter for chatty packages. */
const LOG4J2 = `status=error
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=info
rootLogger.appenderRef.out.ref=out
logger.reflections.name=org.reflections
logger.reflections.level=error
logger.clients.name=org.apache.kafka.clients
logger.clients.level=warn
`;

/**
 * The `java` arguments for `mainClass`: heap capped at `heapMb`; the serial collector and the C1 compiler
 * only (fewer threads and less compilation work while starting, on a machine of few cores that the load
 * generator shares); exit (a crash the stack reports) rather than limp on after running out of memory.
 */
export function jvmArgs(jvm: Jvm, options: { dir: string; heapMb: number; mainClass: string; args: string[] }) {
  const log4j = path.join(options.dir, 'log4j2.properties');
  writeFileSync(log4j, LOG4J2);
  return [
    `-Xms${Math.min(64, options.heapMb)}m`,
    `-Xmx${options.heapMb}m`,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4j}`,
    '-cp',
    `${jvm.jars.dir}/*`,
    options.mainClass,
    ...options.args,
  ];
}

/** Java `.properties` text (values are plain: no key here needs escaping beyond backslashes). */
export function propertiesText(entries: Record<string, string | number | boolean>): string {
  return `${Object.entries(entries)
    .map(([k, v]) => `${k}=${String(v).replace(/\\/g, '\\\\')}`)
    .join('\n')}\n`;
}
