/**
 * docker-compose.yml without a container engine: validated against the Compose Specification's JSON
 * schema (vendored, ./vendor), kept in step with harness/stack/versions.ts, its mounts and env files
 * checked; and the files `compose-config` writes for it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { parseStackSpec, startStack } from '../index.ts';
import { readStackFile } from '../stack-file.ts';
import { IMAGES } from '../versions.ts';
import { REPO_ROOT, SECRET_KEYS, writeComposeConfig } from './compose-config.ts';

interface ComposeService {
  image: string;
  ports?: string[];
  volumes?: string[];
  env_file?: string;
  environment?: Record<string, string>;
}

const composeFile = path.join(REPO_ROOT, 'docker-compose.yml');
const compose = parse(readFileSync(composeFile, 'utf8')) as { services: Record<string, ComposeService> };
const tmp = mkdtempSync(path.join(os.tmpdir(), 'centrifugo-bench-compose-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function validator() {
  const schema = JSON.parse(readFileSync(path.join(import.meta.dirname, 'vendor/compose-spec.json'), 'utf8'));
  // The file names its draft-07 meta-schema by an https URL ajv does not know by that name; the keywords are draft-07.
  delete schema.$schema;
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
}

describe('docker-compose.yml', () => {
  test('is valid against the Compose Specification schema (and the check can fail)', () => {
    const validate = validator();
    assert.ok(validate(compose), JSON.stringify(validate.errors, null, 2));
    const broken = structuredClone(compose) as Record<string, unknown>;
    (broken.services as Record<string, Record<string, unknown>>).redis!.imagee = 'typo';
    (broken.services as Record<string, Record<string, unknown>>).nats!.ports = 'not-a-list';
    assert.equal(validate(broken), false);
  });

  test('runs the images harness/stack/versions.ts pins', () => {
    const expected: Record<string, string> = {
      postgres: IMAGES.postgres,
      redis: IMAGES.redis,
      nats: IMAGES.nats,
      centrifugo: IMAGES.centrifugo,
      clickhouse: IMAGES.clickhouse,
      grafana: IMAGES.grafana,
    };
    assert.deepEqual(
      Object.fromEntries(Object.entries(compose.services).map(([name, s]) => [name, s.image])),
      expected,
    );
  });

  test('publishes every port on 127.0.0.1 only', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) assert.match(port, /^127\.0\.0\.1:/, `${name} publishes ${port}`);
    }
  });

  test('mounts what the repository has, and what compose-config writes', () => {
    const written = new Set(['centrifugo.json', 'postgres.env', 'redis.env', 'grafana.env']);
    for (const [name, service] of Object.entries(compose.services)) {
      const sources = [
        ...(service.volumes ?? []).map((v) => v.split(':')[0]!).filter((v) => v.startsWith('./')),
        ...(service.env_file ? [service.env_file] : []),
      ];
      for (const source of sources) {
        if (source.startsWith('./results/.compose/')) {
          assert.ok(written.has(path.basename(source)), `${name}: ${source} is not written by compose-config`);
        } else {
          assert.ok(existsSync(path.join(REPO_ROOT, source)), `${name}: ${source} does not exist`);
        }
      }
    }
    const grafana = compose.services.grafana!;
    assert.match(grafana.environment?.GF_INSTALL_PLUGINS ?? '', /^grafana-clickhouse-datasource\b/);
    const datasource = readFileSync(
      path.join(REPO_ROOT, 'dashboards/provisioning/datasources/clickhouse.yaml'),
      'utf8',
    );
    const settings = datasource
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'))
      .join('\n');
    for (const variable of settings.matchAll(/\$\{(\w+)\}/g)) {
      assert.ok(variable[1]! in (grafana.environment ?? {}), `grafana lacks ${variable[1]} for the datasource`);
    }
  });
});

describe('compose-config', () => {
  const envFile = path.join(tmp, '.env');
  writeFileSync(envFile, '# mine\nCENTRIFUGO_API_KEY="from-dotenv-key-123"\nCB_CENTRIFUGO_PORT=18000\n');

  test('writes the Centrifugo config, private env files and a stack file; secrets from env, .env, or new', async () => {
    const out = path.join(tmp, 'compose');
    const first = writeComposeConfig({
      engine: 'redis',
      consumers: ['postgresql', 'redis_stream'],
      envFile,
      outDir: out,
      env: { CENTRIFUGO_HMAC_SECRET: 'from-environment-secret-1234567890' },
    });
    assert.deepEqual(first.generatedSecrets, ['POSTGRES_PASSWORD', 'REDIS_PASSWORD', 'GRAFANA_ADMIN_PASSWORD']);
    const config = JSON.parse(readFileSync(first.centrifugoConfigFile, 'utf8'));
    assert.equal(config.http_server.address, '0.0.0.0');
    assert.equal(config.client.token.hmac_secret_key, 'from-environment-secret-1234567890');
    assert.equal(config.http_api.key, 'from-dotenv-key-123');
    assert.match(config.engine.redis.address, /^redis:\/\/:[\w-]+@redis:6379$/);
    assert.deepEqual(
      config.consumers.map((c: { type: string }) => c.type),
      ['postgresql', 'redis_stream'],
    );
    for (const file of ['secrets.env', 'postgres.env', 'redis.env', 'grafana.env']) {
      assert.equal(statSync(path.join(out, file)).mode & 0o777, 0o600, file);
    }
    const { stack, secrets } = readStackFile(first.stackFile);
    assert.equal(stack.endpoints.centrifugo.nodes[0]!.httpUrl, 'http://127.0.0.1:18000');
    assert.equal(secrets.centrifugoApiKey, 'from-dotenv-key-123');
    assert.ok(secrets.redisPassword && secrets.postgresPassword);

    // A second run keeps the secrets of the first (those it generated and those it was given).
    const second = writeComposeConfig({ engine: 'redis', consumers: [], envFile, outDir: out, env: {} });
    assert.deepEqual(second.generatedSecrets, []);
    assert.deepEqual(readStackFile(second.stackFile).secrets, secrets);

    // The external provider takes the stack file as is.
    const external = await startStack(parseStackSpec({ provider: 'external', stackFile: second.stackFile }), {
      runId: 'compose-test',
      logsDir: tmp,
    });
    assert.equal(external.endpoints.redis?.url, `redis://:${secrets.redisPassword}@127.0.0.1:6379`);
    assert.equal(external.endpoints.clickhouse?.url, 'http://127.0.0.1:8123/bench');
    await external.down();
  });

  test('the command prints no secret', async () => {
    const out = path.join(tmp, 'cli');
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [path.join(REPO_ROOT, 'harness/cli/bin.mjs'), 'compose-config', '--env-file', envFile, '--out-dir', out],
      { env: { ...process.env, CENTRIFUGO_BENCH_QUIET: '1' } },
    );
    const secrets = readFileSync(path.join(out, 'secrets.env'), 'utf8');
    for (const key of SECRET_KEYS) {
      const value = new RegExp(`^${key}=(.*)$`, 'm').exec(secrets)?.[1];
      assert.ok(value && value.length > 8, key);
      assert.ok(!stdout.includes(value) && !stderr.includes(value), `${key} printed`);
    }
    assert.match(stdout, /docker compose up -d/);
  });
});
