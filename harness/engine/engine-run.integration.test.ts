/**
 * What the engine adds to a `run`, end to end through the CLI: sampled per-message rows
 * (results.sampleRate → samples.ndjson, exactly the deterministic sample), and a connection ramp under
 * load (publishers.startAfter 'ramp-start') stopped by an abortOnFail threshold, saying at how many
 * connections.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../common/exit-codes.ts';
import type { DeliverySample, RunSummary, TimelineEvent, TimeseriesPoint } from '../common/summary-types.ts';
import { isSampled, sampleKey } from './metrics/delivery-sampler.ts';

const BIN = fileURLToPath(new URL('../cli/bin.mjs', import.meta.url));
const DEFINE = fileURLToPath(new URL('../../scenarios/lib/scenario.ts', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'cb-engine-run-'));
const temporary = [dir];
after(() => {
  for (const d of temporary) rmSync(d, { recursive: true, force: true });
});
writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');

function scenarioFile(name: string, body: string): string {
  const file = path.join(dir, `${name}.ts`);
  writeFileSync(
    file,
    `import { defineScenario } from ${JSON.stringify(DEFINE)};\nexport default defineScenario(${body});\n`,
  );
  return file;
}

/** Runs `run` on a scenario file; returns the exit code and the run's directory. */
async function run(file: string): Promise<{ code: number | null; stderr: string; dir: string }> {
  const results = mkdtempSync(path.join(os.tmpdir(), 'cb-engine-run-results-'));
  temporary.push(results);
  const child = spawn(process.execPath, [BIN, 'run', '--no-setup', '--no-report', file], {
    env: { ...process.env, CENTRIFUGO_BENCH_RESULTS: results },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const runs = readdirSync(results).filter((d) => !d.startsWith('.'));
  assert.equal(runs.length, 1, stderr);
  return { code, stderr, dir: path.join(results, runs[0]!) };
}

function ndjson<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

function counter(summary: RunSummary, name: string): number {
  const m = summary.metrics[name];
  return m?.type === 'counter' ? m.count : Number.NaN;
}

test('results.sampleRate 0.1: samples.ndjson holds exactly the sampled deliveries, latencies in range', async () => {
  const file = scenarioFile(
    'sampled',
    `{
      name: 'sampled',
      stack: { engine: 'memory' },
      workload: {
        subscribers: { count: 40, connectRate: 200 },
        publishers: { executor: 'constant-arrival-rate', rate: 10, duration: '3s', preAllocatedVUs: 2, maxVUs: 5 },
        drain: '3s',
        limits: { maxEventLoopDelayP99Ms: 1000, maxCpuShare: 1 },
      },
      thresholds: { messages_lost: ['count==0'] },
      results: { report: false, sampleRate: 0.1 },
    }`,
  );
  const { code, stderr, dir: runDir } = await run(file);
  assert.equal(code, ExitCode.ok, stderr);
  const summary = JSON.parse(readFileSync(path.join(runDir, 'summary.json'), 'utf8')) as RunSummary;
  const published = counter(summary, 'messages_published');
  assert.equal(published, 30);
  assert.equal(counter(summary, 'messages_delivered'), 40 * 30);

  // Every delivery was received, so the sample is computable: (subscriber, seq) pairs whose hash is < 10 %.
  const expected = new Set<string>();
  for (let u = 1; u <= 40; u++) {
    const key = sampleKey('broadcast', `u${u}`);
    for (let q = 1; q <= published; q++) if (isSampled(key, q, 0.1)) expected.add(`u${u}/${q}`);
  }
  const rows = ndjson<DeliverySample>(path.join(runDir, 'samples.ndjson'));
  assert.equal(rows.length, expected.size);
  assert.deepEqual(new Set(rows.map((r) => `${r.subscriber}/${r.seq}`)), expected);
  assert.ok(rows.length > 60 && rows.length < 180, `about 10 % of 1200: ${rows.length}`);

  const latency = summary.metrics.delivery_latency;
  assert.ok(latency?.type === 'trend');
  const startedUs = Date.parse(summary.startedAt) * 1000;
  const endedUs = Date.parse(summary.endedAt) * 1000;
  for (const row of rows) {
    assert.equal(row.run_id, summary.runId);
    assert.equal(row.stream, 'broadcast');
    assert.equal(row.node, 'node-1');
    assert.equal(row.worker, 1);
    // Histogram values are bucket values, at most 0.1 % above what was recorded.
    const ms = row.latency_us / 1000;
    assert.ok(
      ms >= latency.min * 0.99 - 0.001 && ms <= latency.max * 1.001,
      `${ms} ms in [${latency.min}, ${latency.max}]`,
    );
    assert.ok(row.ts_us > startedUs && row.ts_us < endedUs, 'received during the run (µs since the epoch)');
  }
  assert.ok(summary.timeline.some((e) => e.name === 'samples' && e.detail?.startsWith(`${rows.length} delivery rows`)));
});

test('a ramp under load with a tiny abortOnFail bound stops early (exit 99), at a known connection count; no samples', async () => {
  const file = scenarioFile(
    'ramp',
    `{
      name: 'ramp-abort',
      stack: { engine: 'memory' },
      workload: {
        subscribers: { count: 40, stages: [{ duration: '20s', target: 40 }] },
        publishers: {
          executor: 'constant-arrival-rate', startAfter: 'ramp-start',
          rate: 2, duration: '20s', preAllocatedVUs: 2, maxVUs: 5,
        },
        drain: '2s',
        limits: { maxEventLoopDelayP99Ms: 1000, maxCpuShare: 1 },
      },
      thresholds: { delivery_latency: [{ threshold: 'p(99)<0.001', abortOnFail: true, delayAbortEval: '2s' }] },
      results: { report: false },
    }`,
  );
  const { code, stderr, dir: runDir } = await run(file);
  assert.equal(code, ExitCode.thresholdsFailed, stderr);
  const summary = JSON.parse(readFileSync(path.join(runDir, 'summary.json'), 'utf8')) as RunSummary;
  assert.equal(summary.aborted?.by, 'threshold');
  assert.ok(summary.durationS < 20, `stopped before the 20 s ramp ended (${summary.durationS} s)`);
  const note = ndjson<TimelineEvent>(path.join(runDir, 'timeline.ndjson')).find((e) => e.name === 'aborted');
  const match = /^threshold: .*\((\d+) of 40 subscribers connected\)$/.exec(note?.detail ?? '');
  assert.ok(match, note?.detail);
  const connected = Number(match[1]);
  assert.ok(connected > 0 && connected < 40, `stopped at ${connected} of 40`);
  // The per-second gauge shows the same climb, up to where the run stopped.
  const gauges = ndjson<TimeseriesPoint>(path.join(runDir, 'timeseries.ndjson')).map(
    (p) => p.gauges.subscribers_connected ?? 0,
  );
  assert.ok(gauges.includes(connected), `${connected} in ${gauges.join(',')}`);
  assert.ok(Math.max(...gauges) < 40);
  assert.equal(existsSync(path.join(runDir, 'samples.ndjson')), false, 'sampleRate 0 writes no samples file');
});
