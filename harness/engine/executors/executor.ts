/**
 * What an executor gets and gives. An executor decides only *when* iterations run and how many may run at
 * once (k6's VUs); one iteration = one message published, run by `iterate(intendedUs)`, which never rejects.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { monoUs } from '../../common/mono-clock.ts';

export interface ExecutorContext {
  /** Runs one iteration due at `intendedUs` (run clock); resolves when it settled. Never rejects. */
  iterate(intendedUs: number): Promise<void>;
  /** An iteration was due and no VU was free (k6 dropped_iterations). */
  dropped(): void;
  /** Aborted when the run stops early: start nothing more, stop waiting. */
  signal: AbortSignal;
}

export interface ExecutorPlan {
  /** Scheduled duration (without gracefulStop); for iteration-based executors the maxDuration bound. */
  durationMs: number;
  gracefulStopMs: number;
  /** Iterations the schedule holds (open model, iteration-based), null when the pace sets it. */
  iterations: number | null;
  maxVUs: number;
  /** k6's one-line description ("10.00 iterations/s for 30s (maxVUs: 10-100, gracefulStop: 30s)"). */
  description: string;
}

/** Resolves at `dueUs` on the run clock (never before; timers make it up to ~1 ms late), or on abort. */
export async function sleepUntil(dueUs: number, signal: AbortSignal): Promise<void> {
  for (;;) {
    const waitUs = dueUs - monoUs();
    if (waitUs <= 0 || signal.aborted) return;
    try {
      await sleep(Math.max(1, Math.ceil(waitUs / 1000)), undefined, { signal });
    } catch {
      return; // aborted
    }
  }
}

/** Waits for `promises` to settle, for at most `ms` (gracefulStop). Returns whether they all settled. */
export async function settleWithin(promises: Iterable<Promise<unknown>>, ms: number): Promise<boolean> {
  const all = Promise.allSettled([...promises]).then(() => true);
  if (ms <= 0) return Promise.race([all, Promise.resolve(false)]);
  const controller = new AbortController();
  const timeout = sleep(ms, false, { signal: controller.signal }).catch(() => false);
  const settled = await Promise.race([all, timeout]);
  controller.abort();
  return settled;
}

/**
 * Open model: starts each iteration at its scheduled time if a VU is free — allocating one more, up to
 * maxVUs, when none is — and counts it in dropped_iterations otherwise. Late wake-ups start overdue
 * iterations at once with their original intended time, so the lateness shows in publish_delay.
 */
export async function runArrivals(
  offsetsMs: Iterable<number>,
  options: { preAllocatedVUs: number; maxVUs: number; gracefulStopMs: number },
  ctx: ExecutorContext,
): Promise<void> {
  const startUs = monoUs();
  let allocated = options.preAllocatedVUs;
  let busy = 0;
  const inFlight = new Set<Promise<void>>();
  for (const offsetMs of offsetsMs) {
    const dueUs = startUs + offsetMs * 1000;
    await sleepUntil(dueUs, ctx.signal);
    if (ctx.signal.aborted) break;
    if (busy >= allocated) {
      if (allocated < options.maxVUs) allocated++;
      else {
        ctx.dropped();
        continue;
      }
    }
    busy++;
    const iteration: Promise<void> = ctx.iterate(dueUs).finally(() => {
      busy--;
      inFlight.delete(iteration);
    });
    inFlight.add(iteration);
  }
  await settleWithin(inFlight, ctx.signal.aborted ? 0 : options.gracefulStopMs);
}

/**
 * Closed model: `vus` loops, each running iterations back to back (plus `sleepMs`) while `keepGoing(vu)`
 * says so; after `endUs`, loops still inside an iteration get `gracefulStopMs` to finish.
 */
export async function runLoops(
  vus: number,
  options: { endUs: number; gracefulStopMs: number; sleepMs: number },
  keepGoing: (vu: number) => boolean | 'pause',
  ctx: ExecutorContext,
): Promise<void> {
  const loops: Promise<void>[] = [];
  for (let vu = 0; vu < vus; vu++) {
    loops.push(
      (async () => {
        while (!ctx.signal.aborted && monoUs() < options.endUs) {
          const go = keepGoing(vu);
          if (go === false) return;
          if (go === 'pause') {
            await sleepUntil(monoUs() + 50_000, ctx.signal);
            continue;
          }
          await ctx.iterate(monoUs());
          if (options.sleepMs > 0) await sleepUntil(monoUs() + options.sleepMs * 1000, ctx.signal);
        }
      })(),
    );
  }
  const all = Promise.allSettled(loops);
  // The end timer must not outlive the loops (maxDuration can be minutes after the last iteration).
  const endTimer = new AbortController();
  const endedInTime = await Promise.race([
    all.then(() => true),
    sleepUntil(options.endUs, AbortSignal.any([ctx.signal, endTimer.signal])).then(() => false),
  ]);
  endTimer.abort();
  if (!endedInTime) await settleWithin(loops, ctx.signal.aborted ? 0 : options.gracefulStopMs);
}
