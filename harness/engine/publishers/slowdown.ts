/**
 * The injected slowdown (workload.publishers.slowdown): a publication is held `slowdown` longer before it is
 * sent. Latency still counts from the intended time, so every delivery's latency grows by exactly the
 * slowdown: a known, additive fault a gate can be calibrated against.
 *
 * Precision matters (+1.2 ms on an ~8 ms p50 must be +1.2 ms, not +2), and a timer alone is ~1 ms coarse:
 * libuv's loop clock has millisecond resolution, so a timer fires anywhere up to ~1 ms off. The hold
 * therefore sleeps on a timer until about 1 ms before the due time and then yields to the event loop
 * (setImmediate) until the monotonic clock reaches it. Yielding, not spinning: other VUs, IPC and the
 * per-second snapshot keep running. The CPU cost is at most ~1 ms of yielding per publication.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { monoUs } from '../../common/mono-clock.ts';

/** How long before the due time the timer hands over to yielding: one timer granule. */
const TIMER_MARGIN_US = 1000;

/**
 * Resolves once `monoUs()` ≥ `dueUs` (never earlier), or as soon as `signal` aborts (the run is ending:
 * the send that follows is interrupted anyway). A due time already past resolves at once.
 */
export async function holdUntil(dueUs: number, signal?: AbortSignal): Promise<void> {
  const timerMs = Math.floor((dueUs - monoUs() - TIMER_MARGIN_US) / 1000);
  if (timerMs > 0) await sleep(timerMs, undefined, { signal }).catch(() => {});
  // One callback per loop turn, not one promise: a promise per turn is garbage that costs millisecond-long
  // scavenges (measured: 3× the overshoot under node:test, whose async-context hooks make promises heavier).
  await new Promise<void>((resolve) => {
    const check = () => (monoUs() >= dueUs || signal?.aborted ? resolve() : setImmediate(check));
    check();
  });
}
