/**
 * NTP-style clock offset estimation against a coordinator. One round trip: the shard notes its send time t0,
 * the coordinator answers its own time ts, the shard notes its receive time t1. Whatever the network's asymmetry,
 * ts was read between t0 and t1, so the true offset lies in [ts − t1, ts − t0]: an interval as wide as the round
 * trip. Every round trip's interval holds the truth, so their intersection does too, and it is at least as
 * narrow as the best single one — on a busy machine, where most round trips are slow, a few fast ones (or two
 * slow ones delayed on opposite legs) still pin the offset down. Estimated before and after the run (drift shows
 * up as a change).
 */

/** Asks the coordinator for its clock, in microseconds of the coordinator's time base. */
export type CoordinatorClock = () => Promise<number>;
/** This process's clock in microseconds (injectable, so tests can skew it by a known amount). */
export type LocalClock = () => number;

export interface ClockOffset {
  /** Add to a local time to get the coordinator's time (µs). */
  readonly offsetUs: number;
  /** The true offset lies within offsetUs ± uncertaintyUs: half the width of the round trips' intersection. */
  readonly uncertaintyUs: number;
  /** Round trips taken. */
  readonly samples: number;
}

/**
 * Default bound beyond which a sharded run is invalid: 5 ms. Delivery latencies of a healthy Centrifugo stack
 * are single-digit milliseconds, so a larger uncertainty would be of the order of what is measured. On one
 * LAN / Kubernetes cluster round trips are well under 1 ms, so 5 ms only trips on a broken clock or network.
 */
export const DEFAULT_MAX_UNCERTAINTY_US = 5_000;

/** The clocks answer in whole µs: each round trip's interval is widened by this much for the rounding. */
const RESOLUTION_US = 1;

export interface ClockSyncOptions {
  /** This process's clock (default: CLOCK_MONOTONIC-based wall time, µs). */
  localClock?: LocalClock;
  /** Round trips always taken: 16 unless set. */
  roundTrips?: number;
  /**
   * Keep asking, up to `maxRoundTrips`, while the uncertainty is above this many µs (a busy machine's round trips
   * are slow, and a few more find a quiet moment). Unset: `roundTrips` and no more.
   */
  targetUncertaintyUs?: number;
  /** 128 unless set: ~0.1–0.5 s of round trips on loopback, however busy. */
  maxRoundTrips?: number;
}

export async function estimateClockOffset(
  askCoordinator: CoordinatorClock,
  options: ClockSyncOptions = {},
): Promise<ClockOffset> {
  const localClock = options.localClock ?? (() => performance.timeOrigin * 1000 + performance.now() * 1000);
  const roundTrips = options.roundTrips ?? 16;
  const maxRoundTrips = Math.max(roundTrips, options.maxRoundTrips ?? 128);
  const target = options.targetUncertaintyUs ?? Number.POSITIVE_INFINITY;
  if (roundTrips < 1) throw new RangeError('clock sync needs at least one round trip');
  // The intersection [low, high] of every round trip's interval, and the fastest round trip.
  let low = Number.NEGATIVE_INFINITY;
  let high = Number.POSITIVE_INFINITY;
  let fastestRttUs = Number.POSITIVE_INFINITY;
  let trips = 0;
  while (trips < maxRoundTrips) {
    const sentUs = localClock();
    const coordinatorUs = await askCoordinator();
    const receivedUs = localClock();
    trips++;
    low = Math.max(low, coordinatorUs - receivedUs - RESOLUTION_US);
    high = Math.min(high, coordinatorUs - sentUs + RESOLUTION_US);
    fastestRttUs = Math.min(fastestRttUs, receivedUs - sentUs);
    if (trips >= roundTrips && (high - low) / 2 <= target) break;
  }
  if (low <= high) return { offsetUs: (low + high) / 2, uncertaintyUs: (high - low) / 2, samples: trips };
  // Disjoint intervals: a clock stepped or ran at another rate while measuring. The middle of the disagreement,
  // uncertain by half of it plus the fastest round trip's own bound — never a figure narrower than the data.
  return {
    offsetUs: (low + high) / 2,
    uncertaintyUs: (low - high) / 2 + fastestRttUs / 2 + RESOLUTION_US,
    samples: trips,
  };
}

/**
 * A third clock's offset to the coordinator, through this shard: `toCoordinator` (this shard → coordinator) minus
 * `toThird` (this shard → the third clock, e.g. the push sink's), both estimated on the same local clock. The true
 * offset lies within the sum of both uncertainties (each estimate may be off by its own, in either direction).
 */
export function offsetThrough(toCoordinator: ClockOffset, toThird: ClockOffset): ClockOffset {
  return {
    offsetUs: toCoordinator.offsetUs - toThird.offsetUs,
    uncertaintyUs: toCoordinator.uncertaintyUs + toThird.uncertaintyUs,
    samples: toThird.samples,
  };
}

/**
 * How far off a clock estimate may be over a run: its uncertainty before or after, or the drift between the two,
 * whichever is largest. What the bound judges (clockInvalidReason) and what a merged run reports beside latency.
 */
export function clockErrorUs(before: ClockOffset, after: ClockOffset): number {
  return Math.max(before.uncertaintyUs, after.uncertaintyUs, Math.abs(after.offsetUs - before.offsetUs));
}

/**
 * Why a run's clocks cannot be trusted, or undefined when both estimates are within the bound. `subject`: a
 * shard's index, or what else was measured (e.g. "shard 1's push sink").
 */
export function clockInvalidReason(
  subject: number | string,
  before: ClockOffset,
  after: ClockOffset,
  maxUncertaintyUs = DEFAULT_MAX_UNCERTAINTY_US,
): string | undefined {
  const worst = clockErrorUs(before, after);
  if (worst <= maxUncertaintyUs) return undefined;
  return (
    `${typeof subject === 'number' ? `shard ${subject}` : subject}: clock offset uncertain by ${(worst / 1000).toFixed(2)} ms ` +
    `(bound ${(maxUncertaintyUs / 1000).toFixed(2)} ms; before ±${(before.uncertaintyUs / 1000).toFixed(2)}, ` +
    `after ±${(after.uncertaintyUs / 1000).toFixed(2)}, drift ${((after.offsetUs - before.offsetUs) / 1000).toFixed(2)} ms)`
  );
}
