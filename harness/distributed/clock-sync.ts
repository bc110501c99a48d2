/**
 * NTP-style clock offset estimation against a coordinator. One round trip: the shard notes its send time t0,
 * the coordinator answers its own time ts, the shard notes its receive time t1. If the network is symmetric,
 * offset = ts − (t0 + t1)/2, and whatever the asymmetry the true offset lies within ± RTT/2 of that — so the
 * lowest-RTT samples give the tightest bound. Estimated before and after the run (drift shows up as a change).
 */

/** Asks the coordinator for its clock, in microseconds of the coordinator's time base. */
export type CoordinatorClock = () => Promise<number>;
/** This process's clock in microseconds (injectable, so tests can skew it by a known amount). */
export type LocalClock = () => number;

export interface ClockOffset {
  /** Add to a local time to get the coordinator's time (µs). */
  readonly offsetUs: number;
  /** The true offset lies within offsetUs ± uncertaintyUs: half the RTT of the best sample kept. */
  readonly uncertaintyUs: number;
  readonly samples: number;
}

/**
 * Default bound beyond which a sharded run is invalid: 5 ms. Delivery latencies of a healthy Centrifugo stack
 * are single-digit milliseconds, so a larger uncertainty would be of the order of what is measured. On one
 * LAN / Kubernetes cluster round trips are well under 1 ms, so 5 ms only trips on a broken clock or network.
 */
export const DEFAULT_MAX_UNCERTAINTY_US = 5_000;

export async function estimateClockOffset(
  askCoordinator: CoordinatorClock,
  options: { localClock?: LocalClock; roundTrips?: number; keepBest?: number } = {},
): Promise<ClockOffset> {
  const localClock = options.localClock ?? (() => performance.timeOrigin * 1000 + performance.now() * 1000);
  const roundTrips = options.roundTrips ?? 16;
  const keepBest = Math.min(options.keepBest ?? 4, roundTrips);
  const samples: { rttUs: number; offsetUs: number }[] = [];
  if (roundTrips < 1 || keepBest < 1) throw new RangeError('clock sync needs at least one round trip');
  for (let trip = 0; trip < roundTrips; trip++) {
    const sentUs = localClock();
    const coordinatorUs = await askCoordinator();
    const receivedUs = localClock();
    samples.push({ rttUs: receivedUs - sentUs, offsetUs: coordinatorUs - (sentUs + receivedUs) / 2 });
  }
  const best = samples.sort((a, b) => a.rttUs - b.rttUs).slice(0, keepBest);
  const offsets = best.map((sample) => sample.offsetUs).sort((a, b) => a - b);
  const worstKeptRttUs = best.at(-1)?.rttUs ?? 0;
  return {
    offsetUs: offsets[Math.floor(offsets.length / 2)] ?? 0,
    // The median is one of the kept samples, so it is within its own RTT/2 — at most the worst kept one.
    uncertaintyUs: worstKeptRttUs / 2,
    samples: roundTrips,
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
 * Why a run's clocks cannot be trusted, or undefined when both estimates are within the bound. `subject`: a
 * shard's index, or what else was measured (e.g. "shard 1's push sink").
 */
export function clockInvalidReason(
  subject: number | string,
  before: ClockOffset,
  after: ClockOffset,
  maxUncertaintyUs = DEFAULT_MAX_UNCERTAINTY_US,
): string | undefined {
  const worst = Math.max(before.uncertaintyUs, after.uncertaintyUs, Math.abs(after.offsetUs - before.offsetUs));
  if (worst <= maxUncertaintyUs) return undefined;
  return (
    `${typeof subject === 'number' ? `shard ${subject}` : subject}: clock offset uncertain by ${(worst / 1000).toFixed(2)} ms ` +
    `(bound ${(maxUncertaintyUs / 1000).toFixed(2)} ms; before ±${(before.uncertaintyUs / 1000).toFixed(2)}, ` +
    `after ±${(after.uncertaintyUs / 1000).toFixed(2)}, drift ${((after.offsetUs - before.offsetUs) / 1000).toFixed(2)} ms)`
  );
}
