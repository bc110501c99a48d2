import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunInfo, RunSummary, TimeseriesPoint } from '../../common/summary-types.ts';
import { parseClickHouseUrl } from './connection.ts';
import { broadcastModeOf, eventRow, ledgerRows, parseMetricKey, pointRows, runRow, verdictOf } from './rows.ts';
import { sqlIdent, sqlString } from './sql.ts';

const info = (config: unknown): RunInfo =>
  ({
    schemaVersion: 1,
    runId: 'r1',
    scenario: { name: 's', file: 'f.ts', config },
    startedAt: '2026-01-01T00:00:00.000Z',
    git: { commit: null, dirty: null },
    host: { hostname: 'h', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'c', memoryBytes: 1 },
    node: 'v20',
    harnessVersion: '0.1.0',
    stack: { provider: 'local', engine: 'redis', nodes: 2 },
    versions: { centrifugo: '6.9.1' },
  }) as RunInfo;

const summary = (patch: Partial<RunSummary>): RunSummary =>
  ({
    schemaVersion: 1,
    runId: 'r1',
    scenario: 's',
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:01:00.000Z',
    durationS: 60,
    valid: true,
    invalidReasons: [],
    aborted: null,
    thresholds: [],
    metrics: {},
    errorsByCode: {},
    generator: { workers: 1, cpuSeconds: 1, peakRssBytes: 1, maxEventLoopDelayP99Ms: 1 },
    timeline: [],
    ...patch,
  }) as RunSummary;

describe('rows for ClickHouse', () => {
  test('string literals escape quotes and backslashes; identifiers are plain', () => {
    assert.equal(sqlString("it's a \\ test"), "'it\\'s a \\\\ test'");
    assert.equal(sqlIdent('bench_1'), 'bench_1');
    assert.throws(() => sqlIdent('bench; DROP TABLE x'));
  });

  test('URL → client options; the path names the database', () => {
    assert.deepEqual(parseClickHouseUrl('http://u:p%40ss@127.0.0.1:8123/results'), {
      url: 'http://127.0.0.1:8123',
      username: 'u',
      password: 'p@ss',
      database: 'results',
    });
    assert.equal(parseClickHouseUrl('http://127.0.0.1:8123').database, 'bench');
    assert.throws(() => parseClickHouseUrl('tcp://127.0.0.1:9000'), /http/);
  });

  test('broadcast mode comes from the scenario config (mode, chat app mode, publisher target), `direct` otherwise', () => {
    assert.equal(broadcastModeOf(info({ mode: 'outbox' })), 'outbox');
    assert.equal(broadcastModeOf(info({ stack: { chatApp: { mode: 'cdc' } } })), 'cdc');
    assert.equal(
      broadcastModeOf(info({ workload: { publishers: { target: 'centrifugo-broadcast' } } })),
      'centrifugo-broadcast',
    );
    assert.equal(broadcastModeOf(info({})), 'direct');
  });

  test('verdict: invalid beats fail beats aborted beats pass', () => {
    const failed = [{ metric: 'm', expression: 'p(99)<1', ok: false, value: 2, abortOnFail: false }];
    assert.equal(verdictOf(summary({ valid: false, thresholds: failed }), 'finished'), 'invalid');
    assert.equal(verdictOf(summary({ thresholds: failed }), 'finished'), 'fail');
    assert.equal(verdictOf(summary({ aborted: { by: 'signal', reason: 'SIGINT' } }), 'aborted'), 'aborted');
    assert.equal(verdictOf(summary({}), 'finished'), 'pass');
    assert.equal(verdictOf(null, 'running'), 'running');
  });

  test('labelled counter keys split into metric and label', () => {
    assert.deepEqual(parseMetricKey('pushes_failed{reason="invalid_token"}'), {
      metric: 'pushes_failed',
      labelName: 'reason',
      labelValue: 'invalid_token',
    });
    assert.deepEqual(parseMetricKey('reconnects'), { metric: 'reconnects', labelName: '', labelValue: '' });
  });

  test('a point becomes trend, value and generator rows; non-finite numbers become 0', () => {
    const point: TimeseriesPoint = {
      t: 3,
      ts: '2026-01-01T00:00:04.000Z',
      trends: {
        delivery_latency: { count: 2, avg: 1, min: 1, med: 1, p90: 1, p95: 1, p99: Number.NaN, p999: 1, max: 1 },
      },
      counters: { messages_delivered: 2, 'pushes_failed{reason=quota}': 1 },
      gauges: { subscribers_connected: 10 },
      generator: { cpu: 0.5, eventLoopDelayP99Ms: 3, rssBytes: 1e8 },
    };
    const rows = pointRows('r1', '', point, 0);
    assert.equal(rows.trend_seconds.length, 1);
    assert.equal(rows.trend_seconds[0]!.p99_ms, 0);
    assert.equal(rows.trend_seconds[0]!.ts_us, Date.parse(point.ts) * 1000);
    assert.deepEqual(rows.trend_seconds[0]!.hist_idx, []);
    assert.equal(rows.value_seconds.length, 3);
    assert.deepEqual(
      rows.value_seconds.map((r) => [r.kind, r.metric, r.label_value]),
      [
        ['counter', 'messages_delivered', ''],
        ['counter', 'pushes_failed', 'quota'],
        ['gauge', 'subscribers_connected', ''],
      ],
    );
    assert.equal(rows.generator_seconds.length, 1);
  });

  test('runs row carries aggregates; events are placed on the wall clock; the ledger is long-form', () => {
    const s = summary({
      metrics: {
        delivery_latency: {
          type: 'trend',
          unit: 'ms',
          count: 5,
          avg: 2,
          min: 1,
          med: 2,
          p90: 3,
          p95: 3,
          p99: 4,
          p999: 4,
          max: 5,
        },
        messages_lost: { type: 'counter', count: 7, rate: 0.1 },
      },
      errorsByCode: { http_503: 2 },
    });
    const row = runRow(info({ mode: 'api' }), s, { status: 'finished', source: 'files', updatedUs: 1 });
    assert.equal(row.delivery_p99_ms, 4);
    assert.equal(row.messages_lost, 7);
    assert.equal(row.verdict, 'pass');
    assert.equal(row.mode, 'api');
    assert.deepEqual(row.error_codes, ['http_503']);
    const event = eventRow('r1', '', 1_000_000, { at: 2.5, kind: 'fault', name: 'kill' });
    assert.equal(event.ts_us, 3_500_000);
    const ledger = ledgerRows('r1', '', {
      enqueued: 10,
      delivered: 7,
      failed: { a: 1, b: 1 },
      queued: 1,
      unaccounted: 0,
    });
    assert.deepEqual(
      ledger.map((r) => [r.outcome, r.reason, r.count]),
      [
        ['enqueued', '', 10],
        ['delivered', '', 7],
        ['failed', 'a', 1],
        ['failed', 'b', 1],
        ['queued', '', 1],
        ['unaccounted', '', 0],
      ],
    );
  });
});
