/** Small zod building blocks shared by the workload schema and the executors' schemas. */
import { z } from 'zod';
import { parseDuration } from '../common/duration.ts';

/** A k6 duration ('30s', '1m30s', '500ms'; a bare number is ms), parsed to milliseconds. */
export const durationMs = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

export const positiveDurationMs = durationMs.refine((ms) => ms > 0, 'must be longer than 0s');

export const positiveInt = z.number().int().positive();
export const nonNegativeInt = z.number().int().nonnegative();

/** Options every k6 executor has (startTime, gracefulStop). */
export const commonExecutorOptions = {
  /** Delay from the start of the publish phase. */
  startTime: durationMs.default(0),
  /** How long iterations still running at the end may take before they are interrupted. */
  gracefulStop: durationMs.default(30_000),
};
