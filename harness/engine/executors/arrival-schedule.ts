/**
 * When each iteration of an arrival-rate executor is due, drift-free: iteration i (from 0) starts at the
 * moment the integral of the rate reaches i — constant rate r: i/r (fractional spacing, like k6: 3/s → 0,
 * 333.3, 666.7 ms); a linear ramp from r0 to r1 over D: the root of r0·t + (r1−r0)·t²/2D = n. Times are
 * offsets in ms from the executor's start, computed from the index, so errors never accumulate.
 */
export interface RateStage {
  durationMs: number;
  /** Target rate at the end of the stage, iterations per ms. */
  target: number;
}

/** Offsets (ms) of iterations at `perMs` iterations/ms during `durationMs`. */
export function* constantArrivals(perMs: number, durationMs: number): Generator<number> {
  if (perMs <= 0) return;
  for (let i = 0; ; i++) {
    const t = i / perMs;
    if (t >= durationMs) return;
    yield t;
  }
}

/**
 * Offsets (ms) of iterations for a rate starting at `startPerMs` and following linear stages. `phase` (0 ≤ phase
 * < 1) moves every iteration to where the integral reaches i + phase: shard k of n at 1/n of the rate, with phase
 * k/n, fires exactly where one process's iteration n·i + k would, so the shards' schedules interleave into the
 * whole one (k6's execution segments do the same) instead of all firing together.
 */
export function* rampingArrivals(startPerMs: number, stages: readonly RateStage[], phase = 0): Generator<number> {
  let stageStart = 0;
  let r0 = startPerMs;
  let countBefore = 0; // integral of the rate up to the stage start
  let i = 0;
  for (const stage of stages) {
    const d = stage.durationMs;
    const r1 = stage.target;
    const stageCount = ((r0 + r1) / 2) * d;
    const a = d > 0 ? (r1 - r0) / (2 * d) : 0;
    while (d > 0 && i + phase < countBefore + stageCount) {
      const n = i + phase - countBefore;
      let t: number;
      if (n <= 0) t = 0;
      else {
        // Stable root of a·t² + r0·t − n = 0 (no cancellation; covers a = 0 and r0 = 0).
        const disc = r0 * r0 + 4 * a * n;
        t = (2 * n) / (r0 + Math.sqrt(Math.max(0, disc)));
      }
      if (!Number.isFinite(t) || t >= d) break;
      yield stageStart + t;
      i++;
    }
    countBefore += stageCount;
    stageStart += d;
    r0 = r1;
  }
}

/** How many iterations a schedule holds (for plans and tests). */
export function countArrivals(schedule: Iterable<number>, limit = 100_000_000): number {
  let n = 0;
  for (const _ of schedule) if (++n >= limit) break;
  return n;
}
