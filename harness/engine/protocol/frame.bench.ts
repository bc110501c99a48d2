/**
 * node --import tsx harness/engine/protocol/frame.bench.ts
 * The subscriber hot path, per publication: decode the line, find the bench marker, update the sequence
 * tracker, record the latency — and, for comparison, a marker scan that skips JSON.parse.
 */
import { SequenceTracker } from '../accounting/sequence-tracker.ts';
import { MetricsRecorder } from '../metrics/recorder.ts';
import { bench } from '../micro-bench.ts';
import { decodeLine, type Publication } from './frame-codec.ts';

const padding = 'x'.repeat(90); // ~128-byte publication data, the engine's default payload
const line = (q: number) =>
  `{"push":{"channel":"personal:u4711","pub":{"data":{"bench":{"s":"broadcast","q":${q},"t":${1_234_567_890_123 + q}},"pad":"${padding}"},"offset":${q}}}}`;
const lines = Array.from({ length: 1024 }, (_, i) => line(i + 1));
const batched = lines.slice(0, 8).join('\n');

let sink = 0;
bench('JSON.parse of one publication line', (i) => {
  sink += (JSON.parse(lines[i & 1023]!) as { push: { pub: { offset: number } } }).push.pub.offset;
});
bench('decodeLine (parse + classify)', (i) => {
  const d = decodeLine(lines[i & 1023]!);
  if (d.kind === 'push') sink++;
});

const tracker = new SequenceTracker();
const recorder = new MetricsRecorder();
let q = 0;
bench('decode + sequence tracker + latency record (full hot path)', (i) => {
  const d = decodeLine(lines[i & 1023]!);
  if (d.kind !== 'push') return;
  const bench = ((d.body as Publication).data as { bench: { s: string; q: number; t: number } }).bench;
  tracker.record(++q);
  recorder.recordUs('delivery_latency', 1000 + (bench.q & 4095));
});
bench(
  'split a frame of 8 newline-batched publications into lines',
  () => {
    let start = 0;
    while (start < batched.length) {
      let end = batched.indexOf('\n', start);
      if (end === -1) end = batched.length;
      sink += end - start;
      start = end + 1;
    }
  },
  200_000,
);

// The alternative the brief allows only if measured faster: read the marker without JSON.parse.
const MARK = '"bench":{"s":"';
bench('marker scan without JSON.parse (comparison only)', (i) => {
  const l = lines[i & 1023]!;
  const at = l.indexOf(MARK);
  const sEnd = l.indexOf('"', at + MARK.length);
  const qAt = l.indexOf('"q":', sEnd) + 4;
  const tAt = l.indexOf('"t":', qAt) + 4;
  sink +=
    Number.parseInt(l.slice(qAt, l.indexOf(',', qAt)), 10) + Number.parseInt(l.slice(tAt, l.indexOf('}', tAt)), 10);
});
if (sink === 0) console.log('');
