/** The cdc jars: pinned once in the pom and once in code, found only when complete, missing → the exact fix. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { isUserError } from '../../common/errors.ts';
import {
  CDC_JARS_ENV,
  CDC_JARS_POM,
  DEBEZIUM_VERSION,
  findCdcJars,
  KAFKA_VERSION,
  requireCdcJars,
} from './kafka-jars.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cb-cdc-jars-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `fn` with environment variables set (undefined: unset), restoring them after. */
function withEnv<T>(env: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

test('the pom pins the versions the code names', () => {
  const pom = readFileSync(CDC_JARS_POM, 'utf8');
  assert.match(pom, new RegExp(`<kafka.version>${KAFKA_VERSION.replace(/\./g, '\\.')}</kafka.version>`));
  assert.match(pom, new RegExp(`<debezium.version>${DEBEZIUM_VERSION.replace(/\./g, '\\.')}</debezium.version>`));
});

test('an empty tools cache: not found, and the message says how to get them (exit 2)', () => {
  withEnv({ XDG_CACHE_HOME: path.join(dir, 'empty'), [CDC_JARS_ENV]: undefined }, () => {
    assert.equal(findCdcJars(), undefined);
    assert.throws(
      () => requireCdcJars(),
      (error) =>
        isUserError(error) &&
        error.exitCode === 2 &&
        error.message.includes(`Kafka ${KAFKA_VERSION}, Debezium ${DEBEZIUM_VERSION}`) &&
        error.message.includes('centrifugo-bench setup') &&
        error.message.includes('apt-get install maven'),
    );
  });
});

test('a half-copied cache folder is not taken; a folder of the user’s is, with its own versions', () => {
  const cache = path.join(dir, 'cache');
  const libs = path.join(
    cache,
    'centrifugo-bench',
    'tools',
    `kafka-${KAFKA_VERSION}-debezium-${DEBEZIUM_VERSION}`,
    'libs',
  );
  mkdirSync(libs, { recursive: true });
  writeFileSync(path.join(libs, `kafka_2.13-${KAFKA_VERSION}.jar`), '');
  withEnv({ XDG_CACHE_HOME: cache, [CDC_JARS_ENV]: undefined }, () => assert.equal(findCdcJars(), undefined));

  const own = path.join(dir, 'own');
  mkdirSync(own);
  for (const jar of [
    'kafka_2.13-4.2.0.jar',
    'connect-runtime-4.2.0.jar',
    'debezium-connector-postgres-3.5.0.Final.jar',
  ])
    writeFileSync(path.join(own, jar), '');
  withEnv({ [CDC_JARS_ENV]: own }, () => {
    assert.deepEqual(findCdcJars(), {
      dir: own,
      kafkaVersion: '4.2.0',
      debeziumVersion: '3.5.0.Final',
      jarCount: 3,
      source: `$${CDC_JARS_ENV}`,
    });
  });
  withEnv({ [CDC_JARS_ENV]: path.join(dir, 'nothing-here') }, () => {
    assert.throws(() => requireCdcJars(), /points to .*nothing-here.*fix it or unset it/);
  });
});
