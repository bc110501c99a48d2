/**
 * `run --out json=<file> --out csv=<file>` end to end through the real binary: both files are read back as
 * a k6 user reads them, and their per-second delivered counts add up to summary.json's messages_delivered.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { ExitCode } from '../common/exit-codes.ts';
import type { RunSummary } from '../common/summary-types.ts';
import { BIN, scenarioFile, tempDir } from './testing.ts';

const TINY = `{
  name: 'k6-outputs',
  stack: { engine: 'memory' },
  workload: {
    subscribers: { count: 10, connectRate: 100 },
    publishers: { executor: 'constant-arrival-rate', rate: 5, duration: '2s', preAllocatedVUs: 2, maxVUs: 5 },
    drain: '1s',
  },
  thresholds: { messages_lost: ['count==0'] },
  results: { report: false },
}`;

test('--out json and --out csv write k6 files whose delivered counts sum to summary.json', async () => {
  const dir = tempDir('cb-outputs-');
  const results = path.join(dir, 'results');
  const file = scenarioFile(dir, 'k6-outputs', TINY);
  const json = path.join(dir, 'run.json');
  const csv = path.join(dir, 'run.csv.gz');
  const child = spawn(process.execPath, [BIN, 'run', file, '--no-setup', `--out=json=${json}`, '--out', `csv=${csv}`], {
    env: { ...process.env, CENTRIFUGO_BENCH_RESULTS: results },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, ExitCode.ok, stderr);
  assert.match(stderr, /outputs: .*json .*run\.json.*csv .*run\.csv\.gz/);

  const [run] = readdirSync(results).filter((d) => !d.startsWith('.'));
  const summary = JSON.parse(readFileSync(path.join(results, run!, 'summary.json'), 'utf8')) as RunSummary;
  const delivered = summary.metrics.messages_delivered;
  assert.ok(delivered?.type === 'counter');
  assert.equal(delivered.count, 10 * 10, 'every subscriber got every message');

  const lines = readFileSync(json, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; metric: string; data: { value: number; tags: object } });
  const declared = lines.findIndex((l) => l.type === 'Metric' && l.metric === 'messages_delivered');
  const points = lines.filter((l) => l.type === 'Point' && l.metric === 'messages_delivered');
  assert.ok(declared >= 0 && declared < lines.indexOf(points[0]!), 'the Metric line comes first');
  assert.equal(
    points.reduce((sum, p) => sum + p.data.value, 0),
    delivered.count,
  );
  assert.deepEqual(points[0]!.data.tags, { scenario: 'k6-outputs', run_id: run });

  const [header, ...rows] = gunzipSync(readFileSync(csv)).toString('utf8').trimEnd().split('\n');
  const columns = header!.split(',');
  const metricColumn = columns.indexOf('metric_name');
  const valueColumn = columns.indexOf('metric_value');
  const csvDelivered = rows.map((r) => r.split(',')).filter((fields) => fields[metricColumn] === 'messages_delivered');
  assert.equal(csvDelivered.length, points.length, 'one row per second, like the JSON points');
  assert.equal(
    csvDelivered.reduce((sum, fields) => sum + Number(fields[valueColumn]), 0),
    delivered.count,
  );
});
