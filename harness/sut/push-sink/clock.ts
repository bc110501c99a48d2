/**
 * The sink's clocks. `nowUs`: CLOCK_MONOTONIC µs, the same clock senders put in `bench_t`
 * (harness/common/mono-clock.ts), so the sink's accept time and `bench_t` subtract across processes.
 */
export { monoUs as nowUs } from '../../common/mono-clock.ts';

/** Unix seconds (wall clock): JWT `exp` / `iat`, token expiry. */
export function clockSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
