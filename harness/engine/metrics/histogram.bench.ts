/**
 * node --import tsx harness/engine/metrics/histogram.bench.ts
 * HdrHistogram costs on the engine's paths: record (per delivery), encode (per worker per second),
 * decode + merge (per worker per second in the parent).
 */
import { bench } from '../micro-bench.ts';
import { decodeHistogram, encodeHistogram, newHistogram } from './histogram.ts';

const h = newHistogram();
bench('recordValue (µs latency, 3 significant digits)', (i) => h.recordValue(500 + (i % 20_000)));

// A realistic second: 50,000 deliveries spread over 0.5–200 ms.
const second = newHistogram();
for (let i = 0; i < 50_000; i++) second.recordValue(500 + ((i * 7919) % 200_000));
const encoded = encodeHistogram(second);
console.log(`encoded size of one busy second: ${encoded.length} bytes (base64)`);
bench('encodeIntoCompressedBase64 (one worker-second)', () => encodeHistogram(second), 2000);
const merged = newHistogram();
bench(
  'decode + add into the run histogram (parent, per worker-second)',
  () => merged.add(decodeHistogram(encoded)),
  2000,
);
