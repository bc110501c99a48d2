/**
 * Microseconds on CLOCK_MONOTONIC: one clock for every process on the host, so a sender's `bench_t`
 * (`process.hrtime.bigint() / 1000n`) and the sink's accept time can be subtracted across processes.
 * `performance.now()` reads the same clock (libuv's hrtime) without a BigInt per call; the offset between
 * the two is fixed at load.
 */
performance.now(); // the first call loads perf_hooks (hundreds of µs): keep it out of the offset
const offsetUs = (() => {
  const before = performance.now();
  const hr = Number(process.hrtime.bigint() / 1000n);
  const after = performance.now();
  return hr - ((before + after) / 2) * 1000;
})();

export function nowUs(): number {
  return Math.round(offsetUs + performance.now() * 1000);
}

/** Unix seconds (wall clock): JWT `exp` / `iat`, token expiry. */
export function clockSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
