import { spawnSync } from 'node:child_process';
import { readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Jvm } from '../services/kafka-jvm.ts';
import { IMAGE_PATH, jvmImageNames } from './images.ts';
import { type EngineCli, ensureRootfsImage, imageExists } from './rootfs-image.ts';

/** Marks an image built here with Java and the cdc jars, naming what it holds: only such an image is re-tagged. */
const CONTENTS_LABEL = 'centrifugo-bench.jvm';

/** The JVM's shared objects (libjvm.so and the JDK's own libraries): `ldd` of each adds the system libraries they load. */
function jdkLibraries(javaHome: string): string[] {
  return readdirSync(path.join(javaHome, 'lib'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.so'))
    .map((file) => path.join(javaHome, 'lib', file));
}

/**
 * The image both JVM services of the cdc chain run from, built here when absent: this machine's Java (the
 * JDK folder, its libraries per `ldd`) and the jars the local provider uses, each at its own path — so the
 * local provider's class path and `java` path are valid inside. Kafka and Connect need the same files, so
 * the second name is a tag of the first image when that one was built here (no second copy, no second build).
 */
export function ensureJvmImage(cli: EngineCli, image: string, jvm: Jvm): { image: string } {
  if (imageExists(cli, image)) return { image };
  const java = realpathSync(jvm.java.path);
  const javaHome = path.dirname(path.dirname(java));
  const contents = `java-${jvm.java.version ?? 'unknown'} kafka-${jvm.jars.kafkaVersion} debezium-${jvm.jars.debeziumVersion}`;
  const names = jvmImageNames(jvm.jars);
  for (const sibling of [names.kafka, names.kafkaConnect]) {
    if (sibling !== image && labelOf(cli, sibling) === contents) {
      if (spawnSync(cli, ['tag', sibling, image], { stdio: 'ignore' }).status === 0) return { image };
    }
  }
  return ensureRootfsImage(cli, {
    image,
    what: `${javaHome} and ${jvm.jars.dir}`,
    paths: [javaHome, jvm.jars.dir],
    executables: [java, ...jdkLibraries(javaHome)],
    changes: [`ENV ${IMAGE_PATH}`, `ENV JAVA_HOME=${javaHome}`, `LABEL ${CONTENTS_LABEL}="${contents}"`],
  });
}

function labelOf(cli: EngineCli, image: string): string | undefined {
  const result = spawnSync(
    cli,
    ['image', 'inspect', '--format', `{{index .Config.Labels "${CONTENTS_LABEL}"}}`, image],
    {
      encoding: 'utf8',
    },
  );
  return result.status === 0 ? result.stdout.trim() : undefined;
}
