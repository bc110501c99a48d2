import assert from 'node:assert/strict';
import { test } from 'node:test';
import { downsampleMinMax } from './downsample.ts';

const seconds = (n: number) => Array.from({ length: n }, (_, i) => i);

test('series at or under the limit are returned untouched', () => {
  const x = seconds(600);
  const y = x.map((t) => t * 2);
  const out = downsampleMinMax(x, [y], 600);
  assert.equal(out.bucketRows, 1);
  assert.deepEqual(out.x, x);
  assert.deepEqual(out.columns[0], y);
});

test('a ten-hour series shrinks under the limit and keeps every extreme exactly', () => {
  const n = 36_000;
  const x = seconds(n);
  const latency = x.map((t) => 3 + (t % 7) * 0.1);
  latency[20_001] = 2345.6; // a one-second spike
  latency[33_333] = 0.5; // a one-second dip
  const connected = x.map((t) => (t < 100 ? t * 10 : 1000));
  const out = downsampleMinMax(x, [latency, connected], 600);

  assert.ok(out.x.length <= 600, `rows ${out.x.length}`);
  assert.equal(out.bucketRows, Math.ceil(n / 300));
  const [lat, conn] = out.columns as number[][];
  assert.equal(Math.max(...lat!), 2345.6);
  assert.equal(Math.min(...lat!), 0.5);
  assert.equal(Math.min(...conn!), 0);
  assert.equal(Math.max(...conn!), 1000);
  // The spike is drawn inside the bucket that holds second 20,001.
  const at = lat!.indexOf(2345.6);
  const bucketStart = out.x[at % 2 === 0 ? at : at - 1]!;
  assert.ok(bucketStart <= 20_001 && 20_001 < bucketStart + out.bucketRows, `spike drawn at bucket ${bucketStart}`);
});

test('each bucket keeps min and max in the order they happened', () => {
  const x = seconds(8);
  const rising = [1, 2, 3, 4, 5, 6, 7, 8];
  const falling = [8, 7, 6, 5, 4, 3, 2, 1];
  const out = downsampleMinMax(x, [rising, falling], 4);
  assert.equal(out.bucketRows, 4);
  assert.deepEqual(out.x, [0, 2, 4, 6]);
  assert.deepEqual(out.columns[0], [1, 4, 5, 8]);
  assert.deepEqual(out.columns[1], [8, 5, 4, 1]);
});

test('gaps stay gaps and a short last bucket is one row', () => {
  const x = seconds(10);
  const y = [null, null, null, null, 5, null, 1, null, 9, 7];
  const out = downsampleMinMax(x, [y], 8);
  assert.equal(out.bucketRows, 3);
  assert.deepEqual(out.x, [0, 1, 3, 4, 6, 7, 9]);
  assert.deepEqual(out.columns[0], [null, null, 5, 5, 1, 9, 7]);
});

test('misaligned columns are a programming error', () => {
  assert.throws(() => downsampleMinMax([0, 1], [[1]], 10), /column length/);
});
