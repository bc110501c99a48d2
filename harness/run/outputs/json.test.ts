/**
 * `--out json=<file>`: what the output writes, read back as a k6 JSON consumer reads it — one object per
 * line, each metric declared by a Metric line before its first Point, gzipped when the name ends in .gz.
 */
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { createGunzip } from 'node:zlib';
import { isUserError } from '../../common/errors.ts';
import { ExitCode } from '../../common/exit-codes.ts';
import { JsonOutput } from './json.ts';
import { delivery, point, runInfo } from './testing.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cb-json-out-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface K6Line {
  type: 'Metric' | 'Point';
  metric: string;
  data: Record<string, unknown>;
}

async function readLines(file: string): Promise<K6Line[]> {
  const input = file.endsWith('.gz') ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  const lines: K6Line[] = [];
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    lines.push(JSON.parse(line) as K6Line);
  }
  return lines;
}

async function writeRun(file: string): Promise<void> {
  const output = new JsonOutput(file);
  const config = { thresholds: { delivery_latency: ['p(99)<250', { threshold: 'max<1000' }] } };
  await output.start({ dir, info: runInfo('run-json', 'k6-files', config) });
  output.addPoint(point(0, 200));
  output.addSamples([delivery('run-json', 1), delivery('run-json', 2)]);
  output.addPoint(point(1, 400));
  await output.stop(undefined);
}

function points(lines: K6Line[], metric: string): { time: string; value: number; tags: Record<string, string> }[] {
  return lines
    .filter((l) => l.type === 'Point' && l.metric === metric)
    .map((l) => l.data as { time: string; value: number; tags: Record<string, string> });
}

for (const name of ['run.json', 'run.json.gz']) {
  test(`${name}: one Metric line per metric before its Points, a Point per metric per second`, async () => {
    const file = path.join(dir, name);
    await writeRun(file);
    if (name.endsWith('.gz')) assert.deepEqual([...readFileSync(file).subarray(0, 2)], [0x1f, 0x8b], 'gzip magic');
    const lines = await readLines(file);

    const declared = new Set<string>();
    for (const line of lines) {
      if (line.type === 'Metric') {
        assert.ok(!declared.has(line.metric), `${line.metric} declared once`);
        assert.equal(line.data.name, line.metric);
        assert.equal(line.data.submetrics, null);
        declared.add(line.metric);
      } else {
        assert.equal(line.type, 'Point');
        assert.ok(declared.has(line.metric), `${line.metric}: Metric line before its first Point`);
      }
    }
    const metric = (name: string) => lines.find((l) => l.type === 'Metric' && l.metric === name)?.data;
    assert.deepEqual(metric('messages_delivered'), {
      name: 'messages_delivered',
      type: 'counter',
      contains: 'default',
      thresholds: [],
      submetrics: null,
    });
    assert.deepEqual(metric('delivery_latency.p99'), {
      name: 'delivery_latency.p99',
      type: 'gauge',
      contains: 'time',
      thresholds: ['p(99)<250', 'max<1000'],
      submetrics: null,
    });
    assert.equal(metric('delivery_latency.count')?.type, 'counter');
    assert.equal(metric('subscribers_connected')?.type, 'gauge');
    assert.equal(metric('generator_rss_bytes')?.contains, 'data');

    // Counters are the second's increments: they sum to the run's total.
    const delivered = points(lines, 'messages_delivered');
    assert.deepEqual(
      delivered.map((p) => p.value),
      [200, 400],
    );
    assert.deepEqual(
      delivered.map((p) => p.time),
      ['2026-11-23T12:00:01.000Z', '2026-11-23T12:00:02.000Z'],
    );
    assert.deepEqual(delivered[0]!.tags, { scenario: 'k6-files', run_id: 'run-json' });
    assert.deepEqual(
      points(lines, 'delivery_latency.p99').map((p) => p.value),
      [10, 11],
    );
    for (const stat of ['avg', 'min', 'med', 'p90', 'p95', 'p999', 'max', 'count']) {
      assert.equal(points(lines, `delivery_latency.${stat}`).length, 2, stat);
    }

    // Sampled deliveries are true per-message samples of the delivery_latency trend.
    assert.equal(metric('delivery_latency')?.type, 'trend');
    const sampled = lines.filter((l) => l.type === 'Point' && l.metric === 'delivery_latency');
    assert.equal(sampled.length, 2);
    assert.deepEqual(sampled[0]!.data, {
      time: '2026-11-23T12:00:01.001Z',
      value: 2.501,
      tags: { scenario: 'k6-files', run_id: 'run-json', stream: 'room:7', node: 'centrifugo-1' },
      metadata: { subscriber: 'user-1', seq: '1' },
    });
  });
}

test('a run that did not finish still leaves a complete, closed file', async () => {
  const file = path.join(dir, 'unfinished.json.gz');
  const output = new JsonOutput(file);
  await output.start({ dir, info: runInfo('run-unfinished') });
  output.addPoint(point(0, 20));
  await output.stop(undefined);
  const lines = await readLines(file);
  assert.equal(points(lines, 'messages_delivered')[0]?.value, 20);
  await output.stop(undefined);
});

test('a file that cannot be created is refused at start, exit 2', async () => {
  const output = new JsonOutput(path.join(dir, 'missing-folder', 'run.json'));
  await assert.rejects(output.start({ dir, info: runInfo('run-refused') }), (error: unknown) => {
    assert.ok(isUserError(error));
    assert.equal(error.exitCode, ExitCode.badInput);
    assert.match(error.message, /--out json: cannot write .*ENOENT/);
    return true;
  });
  await output.stop(undefined);
});

test('a write error (disk full) neither blocks nor fails the run: later lines are dropped, stop resolves', async () => {
  const output = new JsonOutput('/dev/full');
  await output.start({ dir, info: runInfo('run-full') });
  output.addPoint(point(0, 20));
  await new Promise((resolve) => setTimeout(resolve, 50));
  output.addPoint(point(1, 20));
  await output.stop(undefined);
});
