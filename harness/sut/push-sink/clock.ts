/**
 * The sink's clocks. `nowUs`: CLOCK_MONOTONIC µs, the same clock senders put in `bench_t`
 * (harness/common/mono-clock.ts), so the sink's accept time and `bench_t` subtract across processes. Across
 * machines a sharded flood converts its `bench_t` to this clock with an offset it estimates against
 * `GET /__sink/clock` (harness/engine/push/flood-shard.ts), so the sink itself never needs one.
 */
import { monoUs } from '../../common/mono-clock.ts';

export const SINK_CLOCK_SKEW_ENV = 'CENTRIFUGO_BENCH_TEST_SINK_CLOCK_SKEW_MS';

/**
 * Test-only: CENTRIFUGO_BENCH_TEST_SINK_CLOCK_SKEW_MS shifts the sink's whole clock (accept times, `/__sink/clock`,
 * fault windows) by a known amount — what a sink on a machine with another clock looks like — so a test can show
 * that a sharded flood's offset estimate takes it out again. Read once, when the sink's processes load this file.
 */
export function sinkClockSkewUs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[SINK_CLOCK_SKEW_ENV];
  if (text === undefined || text === '') return 0;
  const ms = Number(text);
  if (!Number.isFinite(ms)) throw new Error(`${SINK_CLOCK_SKEW_ENV}='${text}' is not a number`);
  return Math.round(ms * 1000);
}

const skewUs = sinkClockSkewUs();

/** CLOCK_MONOTONIC µs (plus the test-only skew; unset, this is monoUs itself: nothing added per request). */
export const nowUs: () => number = skewUs === 0 ? monoUs : () => monoUs() + skewUs;

/** Unix seconds (wall clock): JWT `exp` / `iat`, token expiry. */
export function clockSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
