/**
 * The run's clock: CLOCK_MONOTONIC in microseconds. `process.hrtime` reads CLOCK_MONOTONIC on Linux, which
 * every process on the host shares, so a publisher's intended time and a subscriber's receive time (in
 * different worker processes) are directly comparable. Values stay far below 2^53, so plain numbers do.
 *
 * `performance.now()` runs on the same clock but from a per-process origin; one offset read at start-up turns
 * it into the shared clock without allocating a BigInt on every call (see clock.bench.ts).
 */
const offsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;

/** Now on the run's clock, µs (fractional). */
export function monoUs(): number {
  return offsetUs + performance.now() * 1000;
}

/** Now on the run's clock, µs, read directly from the kernel (slower; for tests of `monoUs`). */
export function monoUsExact(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
