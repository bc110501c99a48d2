/**
 * `--out prometheus` against a real Prometheus (Debian's package) on a loopback port: what the output
 * writes through remote write is read back with PromQL — counters as running totals, trend percentiles
 * under `stat`, gauges, the run's labels — and a Prometheus that is down never holds the run up.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunInfo, RunSummary, TimeseriesPoint, TrendValues } from '../../common/summary-types.ts';
import { LocalRuntime, PrometheusService, type StartedPrometheus } from '../../stack/testing.ts';
import { PrometheusOutput } from './prometheus.ts';

const logsDir = mkdtempSync(path.join(os.tmpdir(), 'cb-prometheus-test-'));
const runtime = new LocalRuntime({ runId: `prometheus-test-${process.pid}`, logsDir });
let prometheus: StartedPrometheus;

before(async () => {
  prometheus = await new PrometheusService().start(runtime);
});

after(async () => {
  await runtime.close();
  rmSync(logsDir, { recursive: true, force: true });
});

function runInfo(runId: string): RunInfo {
  return {
    schemaVersion: 1,
    runId,
    scenario: { name: 'prometheus-smoke', file: 'scenarios/prometheus-smoke.ts', config: {} },
    startedAt: new Date().toISOString(),
    git: { commit: null, dirty: null },
    host: { hostname: 'test', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'test', memoryBytes: 0 },
    node: process.version,
    harnessVersion: 'test',
    stack: { provider: 'local', engine: 'memory', nodes: 1 },
    versions: {},
  };
}

function trend(p99: number, count: number): TrendValues {
  return { count, avg: p99 / 2, min: 1, med: p99 / 3, p90: p99 * 0.9, p95: p99 * 0.95, p99, p999: p99, max: p99 + 1 };
}

/** Five seconds ending a few seconds ago (Prometheus takes recent samples; its head block starts with them). */
function points(): TimeseriesPoint[] {
  const end = Math.floor(Date.now() / 1000) * 1000 - 5_000;
  return [10, 20, 30, 40, 50].map((delivered, i) => ({
    t: i + 1,
    ts: new Date(end - (4 - i) * 1000).toISOString(),
    trends: { delivery_latency: trend(10 + i * 8.125, delivered) },
    counters: { messages_delivered: delivered, ...(i === 0 ? { reconnects: 2 } : {}) },
    gauges: { subscribers_connected: 100 + i },
    generator: { cpu: 0.25, eventLoopDelayP99Ms: 3, rssBytes: 50_000_000 },
  }));
}

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(promql: string, atMs: number): Promise<VectorSample[]> {
  const url = new URL('/api/v1/query', prometheus.url);
  url.searchParams.set('query', promql);
  url.searchParams.set('time', String(atMs / 1000));
  const response = await fetch(url);
  const body = (await response.json()) as { status: string; data: { resultType: string; result: VectorSample[] } };
  assert.equal(body.status, 'success', JSON.stringify(body));
  return body.data.result;
}

async function single(promql: string, atMs: number): Promise<VectorSample> {
  const result = await query(promql, atMs);
  assert.equal(result.length, 1, `${promql}: ${JSON.stringify(result)}`);
  return result[0]!;
}

test('what the output writes comes back from Prometheus: totals, percentiles, gauges, labels', async () => {
  const runId = `prom-${Date.now()}`;
  const output = new PrometheusOutput(prometheus.remoteWriteUrl);
  assert.equal(output.description(), `prometheus remote write ${prometheus.remoteWriteUrl}`);
  await output.start({ dir: logsDir, info: runInfo(runId) });
  const written = points();
  for (const point of written) output.addPoint(point);
  await output.stop(undefined);
  assert.deepEqual(output.stats, { pendingSeconds: 0, secondsSent: 5, secondsDropped: 0 });

  const lastMs = Date.parse(written.at(-1)!.ts);
  const sel = `run_id="${runId}"`;
  const delivered = await single(`centrifugo_bench_messages_delivered_total{${sel}}`, lastMs);
  assert.equal(delivered.value[1], '150', 'counter increments summed into a running total');
  assert.deepEqual(delivered.metric, {
    __name__: 'centrifugo_bench_messages_delivered_total',
    run_id: runId,
    scenario: 'prometheus-smoke',
  });
  // A counter seen once goes on as a continuous series.
  assert.equal((await single(`centrifugo_bench_reconnects_total{${sel}}`, lastMs)).value[1], '2');
  // increase() over the run: the first second's 10 is the series' start, so 140 came after it.
  assert.equal(
    (await single(`increase(centrifugo_bench_messages_delivered_total{${sel}}[4s])`, lastMs)).value[1],
    '140',
  );

  const p99 = await single(`centrifugo_bench_delivery_latency_ms{${sel},stat="p99"}`, lastMs);
  assert.equal(p99.value[1], '42.5');
  assert.equal(p99.metric.scenario, 'prometheus-smoke');
  const stats = await query(`centrifugo_bench_delivery_latency_ms{${sel}}`, lastMs);
  assert.deepEqual(stats.map((s) => s.metric.stat).sort(), [
    'avg',
    'count',
    'max',
    'min',
    'p50',
    'p90',
    'p95',
    'p99',
    'p999',
  ]);
  const counted = await single(`sum_over_time(centrifugo_bench_delivery_latency_ms{${sel},stat="count"}[10s])`, lastMs);
  assert.equal(counted.value[1], '150');
  const maxP99 = await single(`max_over_time(centrifugo_bench_delivery_latency_ms{${sel},stat="p99"}[10s])`, lastMs);
  assert.equal(maxP99.value[1], '42.5');

  assert.equal((await single(`centrifugo_bench_subscribers_connected{${sel}}`, lastMs)).value[1], '104');
  assert.equal((await single(`centrifugo_bench_generator_rss_bytes{${sel}}`, lastMs)).value[1], '50000000');
  // Each second is a sample at the point's own time, not at the time it was sent.
  const firstMs = Date.parse(written[0]!.ts);
  assert.equal((await single(`centrifugo_bench_messages_delivered_total{${sel}}`, firstMs)).value[1], '10');
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a Prometheus that is down: points return at once, the queue stays bounded, stop returns in its deadline', async () => {
  const output = new PrometheusOutput(`http://127.0.0.1:${await closedPort()}/api/v1/write`, {
    maxPendingSeconds: 20,
    closeTimeoutMs: 3_000,
  });
  await output.start({ dir: logsDir, info: runInfo(`prom-down-${Date.now()}`) });
  const started = performance.now();
  for (const point of points()) for (let i = 0; i < 100; i++) output.addPoint(point);
  assert.ok(performance.now() - started < 1_000, 'addPoint never waits for the network');
  assert.ok(output.stats.pendingSeconds <= 20, `${output.stats.pendingSeconds} seconds queued, bound 20`);
  assert.equal(output.stats.secondsDropped, 500 - output.stats.pendingSeconds);
  const stopping = performance.now();
  await output.stop(undefined);
  assert.ok(performance.now() - stopping < 5_000, `stop took ${performance.now() - stopping} ms`);
});

test('`run --out prometheus=<url>` through the binary: the run totals are in Prometheus', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cb-prometheus-run-'));
  try {
    // .mts: outside the repository (no package.json with "type": "module") a .ts file would load as CommonJS.
    const scenario = path.join(dir, 'prometheus-run.mts');
    const define = fileURLToPath(new URL('../../../scenarios/lib/scenario.ts', import.meta.url));
    writeFileSync(
      scenario,
      `import { defineScenario } from ${JSON.stringify(define)};
export default defineScenario({
  name: 'prometheus-run',
  stack: { engine: 'memory' },
  workload: {
    subscribers: { count: 5, connectRate: 100 },
    publishers: { executor: 'constant-arrival-rate', rate: 10, duration: '3s', preAllocatedVUs: 2, maxVUs: 5 },
    drain: '1s',
  },
  results: { report: false },
});
`,
    );
    const results = path.join(dir, 'results');
    const bin = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url));
    const child = spawn(
      process.execPath,
      [bin, 'run', '--no-setup', scenario, '--out', `prometheus=${prometheus.remoteWriteUrl}`],
      { env: { ...process.env, CENTRIFUGO_BENCH_RESULTS: results }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, output);
    assert.match(output, /prometheus remote write/);

    const [runDir] = readdirSync(results).filter((d) => !d.startsWith('.'));
    const summary = JSON.parse(readFileSync(path.join(results, runDir!, 'summary.json'), 'utf8')) as RunSummary;
    const published = summary.metrics.messages_published;
    assert.ok(published?.type === 'counter' && published.count === 30);
    const sel = `run_id="${summary.runId}",scenario="prometheus-run"`;
    const now = Date.now();
    const total = await single(`last_over_time(centrifugo_bench_messages_published_total{${sel}}[5m])`, now);
    assert.equal(total.value[1], '30');
    const p99 = await query(`centrifugo_bench_delivery_latency_ms{${sel},stat="p99"}[5m]`, now);
    assert.equal(p99.length, 1, 'the delivery latency p99 of each second');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
