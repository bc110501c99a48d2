/**
 * node --import tsx harness/engine/protocol/frame.bench.ts
 * The subscriber hot path, per publication: decode the line, find the bench marker, update the sequence
 * tracker, record the latency — by JSON.parse (every line that is not a plain publication) and by the byte
 * scan (plain publications, the hot path).
 */
import { SequenceTracker } from '../accounting/sequence-tracker.ts';
import { MetricsRecorder } from '../metrics/recorder.ts';
import { bench } from '../micro-bench.ts';
import { decodeLine, type Publication } from './frame-codec.ts';
import { publicationHead, type ScannedPublication, scanPublication } from './publication-scan.ts';

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
bench('JSON.parse + sequence tracker + latency record (general path)', (i) => {
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

// The hot path since issue 18: the marker and offset read from the frame's bytes (publication-scan.ts), then
// the same tracker and histogram work as above; JSON.parse stays the path for every other line.
const frames = lines.map((l) => Buffer.from(l));
const head = publicationHead('personal:u4711');
const scanned: ScannedPublication = { streamStart: 0, streamEnd: 0, q: 0, t: 0, offset: 0 };
bench('byte scan of one publication frame (marker + offset)', (i) => {
  const frame = frames[i & 1023]!;
  if (scanPublication(frame, 0, frame.length, head, scanned)) sink += scanned.q;
});
const scanTracker = new SequenceTracker();
let scanQ = 0;
bench('byte scan + sequence tracker + latency record (full hot path)', (i) => {
  const frame = frames[i & 1023]!;
  if (!scanPublication(frame, 0, frame.length, head, scanned)) return;
  scanTracker.record(++scanQ);
  recorder.recordUs('delivery_latency', 1000 + (scanned.q & 4095));
});
if (sink === 0) console.log('');
