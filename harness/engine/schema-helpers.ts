/**
 * Small zod building blocks shared by the workload schema and the executors' schemas. Every number has an
 * upper bound with its reason (common/validation.ts `atMost`): an extreme value is refused before it plans
 * anything, instead of planning millions of processes or a run that never ends.
 */
import { z } from 'zod';
import { parseDuration } from '../common/duration.ts';
import { atMost } from '../common/validation.ts';

/** Longest duration of any one phase of a run (a stage, the publish duration, a timeout, the drain). */
export const MAX_PHASE_MS = 24 * 3_600_000;

/** A k6 duration ('30s', '1m30s', '500ms'; a bare number is ms), parsed to milliseconds; at most 24h. */
export const durationMs = z
  .union([z.string().max(40), z.number()])
  .transform((value, ctx) => {
    try {
      return parseDuration(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  })
  .refine((ms) => ms <= MAX_PHASE_MS, 'at most 24h per run phase; split a longer soak into several runs');

export const positiveDurationMs = durationMs.refine((ms) => ms > 0, 'must be longer than 0s');

/** Most VUs (concurrent iterations) of one publisher process: each holds a request in flight. */
export const MAX_VUS = 100_000;
export const vusCount = (base: z.ZodNumber) =>
  base.max(MAX_VUS, atMost(MAX_VUS, 'VUs: concurrent requests of one publisher process'));

/** Most iterations of a closed-model executor: a day at more than 10,000/s. */
export const MAX_ITERATIONS = 1_000_000_000;
export const ITERATIONS_BOUND_MESSAGE = atMost(MAX_ITERATIONS, 'iterations per run (a day at over 10,000/s)');

/** Most stages of a ramp (connections, VUs or rate): each is a line of the plan and a step of the schedule. */
export const MAX_STAGES = 1000;

/** Most iterations a second an arrival-rate executor may ask for: each is at least one HTTP API call. */
export const MAX_RATE_PER_S = 1_000_000;
export const RATE_BOUND_MESSAGE = atMost(
  MAX_RATE_PER_S,
  'iterations/s (rate per timeUnit): more than one load generator can issue to an HTTP API; for more, shard the run over machines',
);

export const positiveInt = z.number().int().positive();
export const nonNegativeInt = z.number().int().nonnegative();

/** Options every k6 executor has (startTime, gracefulStop). */
export const commonExecutorOptions = {
  /** Delay from the start of the publish phase. */
  startTime: durationMs.default(0),
  /** How long iterations still running at the end may take before they are interrupted. */
  gracefulStop: durationMs.default(30_000),
};
