/**
 * node --import tsx harness/engine/clock.bench.ts — the run clock's cost (one read per frame or message),
 * and why it is read from hrtime directly rather than as performance.now() plus a start-up offset.
 */
import { monoUs } from '../common/mono-clock.ts';
import { bench } from './micro-bench.ts';

let sink = 0;
bench('monoUs() = process.hrtime.bigint() / 1000n', () => {
  sink += monoUs();
});
bench('performance.now() (for comparison)', () => {
  sink += performance.now();
});
if (sink === 0) console.log('');
