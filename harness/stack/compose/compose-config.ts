import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerSecret } from '../../common/log.ts';
import type { StackSecrets } from '../../common/stack-types.ts';
import { type CentrifugoConsumer, type CentrifugoEngine, centrifugoConfig } from '../centrifugo-config.ts';
import { ConsumerSpecSchema } from '../consumer-spec.ts';
import { type StackFile, writeStackFile } from '../stack-file.ts';
import { CENTRIFUGO_VERSION, IMAGES } from '../versions.ts';

/**
 * Files docker-compose.yml reads, generated from the same code that configures the local stack:
 *   results/.compose/centrifugo.json   Centrifugo v6 config (HMAC secret, API key, broker address)
 *   results/.compose/secrets.env       every secret (the record; later runs reuse it)
 *   results/.compose/<service>.env     what each container gets (compose `env_file`): postgres, redis, grafana
 *   results/.compose/stack.json        stack file for `--provider external` (+ stack.secrets.json)
 * results/ is git-ignored; the secrets come from the environment, else from `.env`, else are generated
 * once (and kept in secrets.env, so a second run keeps the same ones). Nothing secret is printed.
 */

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const COMPOSE_DIR = path.join(REPO_ROOT, 'results', '.compose');

/** Secrets the compose stack needs, by environment variable name. */
export const SECRET_KEYS = [
  'CENTRIFUGO_HMAC_SECRET',
  'CENTRIFUGO_API_KEY',
  'POSTGRES_PASSWORD',
  'REDIS_PASSWORD',
  'GRAFANA_ADMIN_PASSWORD',
] as const;
type SecretKey = (typeof SECRET_KEYS)[number];

/** Host ports (docker-compose.yml publishes them on 127.0.0.1, overridable with the same names). */
export const PORT_DEFAULTS = {
  CB_CENTRIFUGO_PORT: 8000,
  CB_POSTGRES_PORT: 5432,
  CB_REDIS_PORT: 6379,
  CB_NATS_PORT: 4222,
  CB_CLICKHOUSE_HTTP_PORT: 8123,
  CB_GRAFANA_PORT: 3000,
} as const;
type PortKey = keyof typeof PORT_DEFAULTS;

/** Minimal `.env` reader: KEY=VALUE lines, `#` comments, optional quotes (what compose accepts). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    out[match[1]!] = match[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

function readEnv(file: string): Record<string, string> {
  return existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
}

export interface ComposeConfigOptions {
  engine: CentrifugoEngine;
  /** Consumer types to configure in Centrifugo (broadcast modes outbox / redis_stream / nats_jetstream). */
  consumers: ('postgresql' | 'redis_stream' | 'nats_jetstream')[];
  /** The `.env` docker compose reads for interpolation (ports, optional secrets). */
  envFile: string;
  outDir: string;
  /** The process environment (tests pass their own). */
  env: Record<string, string | undefined>;
}

export interface ComposeConfigResult {
  centrifugoConfigFile: string;
  secretsEnvFile: string;
  stackFile: string;
  generatedSecrets: SecretKey[];
}

function consumersFor(
  types: ComposeConfigOptions['consumers'],
  secrets: Record<SecretKey, string>,
): CentrifugoConsumer[] {
  return types.map((type) => {
    const spec = ConsumerSpecSchema.parse({ type, name: type });
    switch (spec.type) {
      case 'postgresql':
        return {
          ...spec,
          dsn: `postgresql://bench:${encodeURIComponent(secrets.POSTGRES_PASSWORD)}@postgres:5432/bench`,
        };
      case 'redis_stream':
        return { ...spec, redisUrl: `redis://:${encodeURIComponent(secrets.REDIS_PASSWORD)}@redis:6379` };
      case 'nats_jetstream':
        return { ...spec, natsUrl: 'nats://nats:4222' };
      default:
        throw new Error(`unknown consumer type ${(spec as { type: string }).type}`);
    }
  });
}

/** Writes the files docker-compose.yml needs and the stack file to point the harness at it. */
export function writeComposeConfig(options: ComposeConfigOptions): ComposeConfigResult {
  mkdirSync(options.outDir, { recursive: true, mode: 0o700 });
  const secretsEnvFile = path.join(options.outDir, 'secrets.env');
  // Precedence: the environment, then .env, then what an earlier run generated.
  const sources = [options.env, readEnv(options.envFile), readEnv(secretsEnvFile)];
  const generatedSecrets: SecretKey[] = [];
  const secrets = {} as Record<SecretKey, string>;
  for (const key of SECRET_KEYS) {
    const found = sources.map((s) => s[key]).find((v) => typeof v === 'string' && v.length > 0);
    secrets[key] = found ?? randomBytes(24).toString('base64url');
    if (!found) generatedSecrets.push(key);
    registerSecret(secrets[key]);
  }
  const ports = {} as Record<PortKey, number>;
  for (const [key, fallback] of Object.entries(PORT_DEFAULTS) as [PortKey, number][]) {
    const raw = options.env[key] ?? readEnv(options.envFile)[key];
    const port = raw ? Number(raw) : fallback;
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`${key}=${raw} is not a port`);
    ports[key] = port;
  }

  const redisUrl = `redis://:${encodeURIComponent(secrets.REDIS_PASSWORD)}@redis:6379`;
  const config = centrifugoConfig({
    engine: options.engine,
    redisUrl: options.engine === 'redis' ? redisUrl : undefined,
    natsUrl: options.engine === 'nats' ? 'nats://nats:4222' : undefined,
    hmacSecret: secrets.CENTRIFUGO_HMAC_SECRET,
    apiKey: secrets.CENTRIFUGO_API_KEY,
    consumers: consumersFor(options.consumers, secrets),
  });
  // In a container Centrifugo must listen on every interface; compose publishes it on 127.0.0.1 only.
  config.http_server = { address: '0.0.0.0', port: 8000 };
  const centrifugoConfigFile = path.join(options.outDir, 'centrifugo.json');
  // Readable by the image's user (uid 1000); the folder (0700) keeps it from other local users.
  writeFileSync(centrifugoConfigFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644 });
  chmodSync(centrifugoConfigFile, 0o644);

  const writePrivate = (file: string, lines: string[]) => {
    const target = path.join(options.outDir, file);
    const header = '# Generated by `centrifugo-bench compose-config`. Private: do not commit or share.';
    writeFileSync(target, `${[header, ...lines].join('\n')}\n`, { mode: 0o600 });
    chmodSync(target, 0o600);
  };
  writePrivate(
    'secrets.env',
    SECRET_KEYS.map((k) => `${k}=${secrets[k]}`),
  );
  writePrivate('postgres.env', [`POSTGRES_PASSWORD=${secrets.POSTGRES_PASSWORD}`]);
  writePrivate('redis.env', [`REDIS_PASSWORD=${secrets.REDIS_PASSWORD}`]);
  writePrivate('grafana.env', [`GF_SECURITY_ADMIN_PASSWORD=${secrets.GRAFANA_ADMIN_PASSWORD}`]);

  const tag = (image: string) => image.split(':').pop() ?? image;
  const httpUrl = `http://127.0.0.1:${ports.CB_CENTRIFUGO_PORT}`;
  const stack: Omit<StackFile, 'secretsFile'> = {
    schemaVersion: 1,
    name: 'stack',
    runId: 'compose',
    provider: 'external',
    endpoints: {
      centrifugo: {
        engine: options.engine,
        nodes: [
          {
            name: 'centrifugo',
            httpUrl,
            wsUrl: `ws://127.0.0.1:${ports.CB_CENTRIFUGO_PORT}/connection/websocket`,
            apiUrl: `${httpUrl}/api`,
          },
        ],
      },
      postgres: { url: `postgresql://bench@127.0.0.1:${ports.CB_POSTGRES_PORT}/bench` },
      redis: { url: `redis://127.0.0.1:${ports.CB_REDIS_PORT}` },
      nats: { url: `nats://127.0.0.1:${ports.CB_NATS_PORT}` },
      clickhouse: { url: `http://127.0.0.1:${ports.CB_CLICKHOUSE_HTTP_PORT}/bench` },
    },
    versions: {
      centrifugo: CENTRIFUGO_VERSION,
      postgres: tag(IMAGES.postgres),
      redis: tag(IMAGES.redis),
      nats: tag(IMAGES.nats),
      clickhouse: tag(IMAGES.clickhouse),
      grafana: tag(IMAGES.grafana),
    },
  };
  const stackSecrets: StackSecrets = {
    centrifugoHmacSecret: secrets.CENTRIFUGO_HMAC_SECRET,
    centrifugoApiKey: secrets.CENTRIFUGO_API_KEY,
    postgresPassword: secrets.POSTGRES_PASSWORD,
    redisPassword: secrets.REDIS_PASSWORD,
  };
  const stackFile = writeStackFile(options.outDir, stack, stackSecrets);
  return { centrifugoConfigFile, secretsEnvFile, stackFile, generatedSecrets };
}
