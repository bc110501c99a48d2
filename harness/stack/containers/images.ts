import { spawnSync } from 'node:child_process';
import { UserError } from '../../common/errors.ts';
import { type CdcJars, requireCdcJars } from '../toolchain/kafka-jars.ts';
import { requireTool } from '../toolchain/tools.ts';
import { IMAGES } from '../versions.ts';
import { type EngineCli, imageExists } from './rootfs-image.ts';

type ImageService = 'centrifugo' | 'postgres' | 'redis' | 'nats' | 'clickhouse' | 'kafka' | 'kafka-connect';

/** The major version of a Debian-packaged service ("15.18" → "15"), to name its image like the official one. */
function major(version: string | undefined, fallback: string): string {
  return /^(\d+)/.exec(version ?? '')?.[1] ?? fallback;
}

/** "2.9.10" → "2.9": the official NATS image is tagged by major.minor as well as by full version. */
function majorMinor(version: string | undefined, fallback: string): string {
  return /^(\d+\.\d+)/.exec(version ?? '')?.[1] ?? fallback;
}

/**
 * The official name and tag matching the binary the local provider uses: Centrifugo pinned, PostgreSQL and
 * Redis the Debian release's major (`postgres:15-bookworm`, `redis:7-bookworm`), NATS its major.minor
 * (`nats:2.9`), ClickHouse the Debian version in full (`clickhouse/clickhouse-server:18.16.1`: the schema is
 * portable, but a ClickHouse version is a different server), Kafka and Debezium's Connect the jars' versions
 * (`apache/kafka:4.3.0`, `quay.io/debezium/connect:3.6.1.Final`). Where absent, the provider builds the image
 * under that name from those binaries.
 */
function defaultImage(service: ImageService): string {
  switch (service) {
    case 'centrifugo':
      return IMAGES.centrifugo;
    case 'postgres':
      return `postgres:${major(requireTool('postgres').version, '15')}-bookworm`;
    case 'redis':
      return `redis:${major(requireTool('redis-server').version, '7')}-bookworm`;
    case 'nats':
      return `nats:${majorMinor(requireTool('nats-server').version, '2.9')}`;
    case 'clickhouse':
      return `clickhouse/clickhouse-server:${requireTool('clickhouse-server').version ?? '18.16.1'}`;
    case 'kafka':
      return jvmImageNames(requireCdcJars()).kafka;
    case 'kafka-connect':
      return jvmImageNames(requireCdcJars()).kafkaConnect;
  }
}

/**
 * The image a service runs from. `$CENTRIFUGO_BENCH_IMAGE_<SERVICE>` names another one (say, the official
 * image from your registry): used when present, else pulled; it is never built here, so when it can be
 * neither found nor pulled that is one line of bad input. Without the variable: the default name, present
 * or built by `build`.
 */
export function ensureServiceImage(
  cli: EngineCli,
  service: ImageService,
  build: (image: string) => { image: string },
): string {
  const variable = `CENTRIFUGO_BENCH_IMAGE_${service.toUpperCase().replace('-', '_')}`;
  const chosen = process.env[variable];
  if (!chosen) return build(defaultImage(service)).image;
  if (imageExists(cli, chosen)) return chosen;
  const pull = spawnSync(cli, ['pull', '-q', chosen], { encoding: 'utf8', timeout: 120_000 });
  if (pull.status === 0) return chosen;
  const reason = (pull.stderr || pull.error?.message || '').trim().split('\n').pop();
  throw new UserError(
    `image ${chosen} (from $${variable}) is missing and cannot be built here (only the default names are), ` +
      `and pulling it failed: ${reason}; pull it yourself or unset ${variable}`,
  );
}

/** PATH inside the images built here (the official images have their binaries on PATH too). */
export const IMAGE_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The official names of the cdc chain's images, from the jars' versions (Kafka's own, Debezium's Connect). */
export function jvmImageNames(jars: Pick<CdcJars, 'kafkaVersion' | 'debeziumVersion'>): {
  kafka: string;
  kafkaConnect: string;
} {
  return {
    kafka: `apache/kafka:${jars.kafkaVersion}`,
    kafkaConnect: `quay.io/debezium/connect:${jars.debeziumVersion}`,
  };
}
