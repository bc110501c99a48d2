/** `--out prometheus[=url]`: the default and its environment override, and the loopback rule on the URL. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../common/errors.ts';
import { selectOutputs } from './index.ts';
import { PROMETHEUS_RW_URL_ENV } from './prometheus.ts';

const select = (outs: string[], allowRemoteTargets = false) =>
  selectOutputs({
    outs,
    results: { clickhouse: false, report: false },
    report: true,
    keptClickHouseUrl: undefined,
    allowRemoteTargets,
  });

test('--out prometheus: a URL, $CENTRIFUGO_BENCH_PROMETHEUS_RW_URL, or a local Prometheus', () => {
  assert.equal(select([]).prometheus, undefined);
  assert.deepEqual(select(['prometheus=http://127.0.0.1:9191/api/v1/write']).prometheus, {
    url: 'http://127.0.0.1:9191/api/v1/write',
  });
  const saved = process.env[PROMETHEUS_RW_URL_ENV];
  try {
    delete process.env[PROMETHEUS_RW_URL_ENV];
    assert.deepEqual(select(['prometheus']).prometheus, { url: 'http://127.0.0.1:9090/api/v1/write' });
    process.env[PROMETHEUS_RW_URL_ENV] = 'http://localhost:9999/api/v1/write';
    assert.deepEqual(select(['prometheus']).prometheus, { url: 'http://localhost:9999/api/v1/write' });
    process.env[PROMETHEUS_RW_URL_ENV] = 'http://prometheus.example.com/api/v1/write';
    assert.throws(
      () => select(['prometheus']),
      (error: unknown) =>
        error instanceof UserError &&
        /\$CENTRIFUGO_BENCH_PROMETHEUS_RW_URL → prometheus\.example\.com/.test(error.message),
    );
  } finally {
    if (saved === undefined) delete process.env[PROMETHEUS_RW_URL_ENV];
    else process.env[PROMETHEUS_RW_URL_ENV] = saved;
  }
});

test('a remote Prometheus is refused unless the scenario allows remote targets', () => {
  assert.throws(() => select(['prometheus=http://10.1.2.3:9090/api/v1/write']), /--out prometheus → 10\.1\.2\.3/);
  assert.deepEqual(select(['prometheus=http://10.1.2.3:9090/api/v1/write'], true).prometheus, {
    url: 'http://10.1.2.3:9090/api/v1/write',
  });
});
