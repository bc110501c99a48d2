/**
 * The run's clock: CLOCK_MONOTONIC in whole microseconds. `process.hrtime` reads CLOCK_MONOTONIC on Linux,
 * which every process on the host shares, so a publisher's intended time and a subscriber's receive time
 * (in different worker processes), or a push's `bench_t` and the sink's accept time, are directly comparable.
 *
 * Read directly, every time. A cheaper `performance.now() + offset` was tried and measured: the offset read
 * once at start-up was off by ~0.9 ms because the first performance.now() call in a process is slow — a
 * per-process bias in every cross-process latency. hrtime.bigint costs ~80 ns (engine/clock.bench.ts), and one
 * read per frame or message is nothing next to JSON.parse.
 */
export function monoUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
