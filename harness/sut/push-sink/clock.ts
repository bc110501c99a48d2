/**
 * Microseconds on CLOCK_MONOTONIC (`process.hrtime`): one clock for every process on the host, so a
 * sender's `bench_t` and the sink's accept time can be subtracted across processes.
 */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Unix seconds (wall clock): JWT `exp` / `iat`, token expiry. */
export function clockSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
