import { z } from 'zod';
import { formatK6Duration } from '../../common/duration.ts';
import {
  commonExecutorOptions,
  MAX_RATE_PER_S,
  positiveDurationMs,
  positiveInt,
  RATE_BOUND_MESSAGE,
  vusCount,
} from '../schema-helpers.ts';
import { constantArrivals, countArrivals } from './arrival-schedule.ts';
import { type ExecutorContext, type ExecutorPlan, runArrivals } from './executor.ts';

/** k6 `constant-arrival-rate` (open model): `rate` iterations per `timeUnit`, for `duration`. */
export const schema = z.strictObject({
  executor: z.literal('constant-arrival-rate'),
  rate: z.number().positive().max(MAX_RATE_PER_S, RATE_BOUND_MESSAGE),
  timeUnit: positiveDurationMs.default(1000),
  duration: positiveDurationMs,
  preAllocatedVUs: vusCount(positiveInt),
  maxVUs: vusCount(positiveInt).optional(),
  ...commonExecutorOptions,
});
export type Config = z.output<typeof schema>;

const maxVUs = (c: Config) => Math.max(c.maxVUs ?? c.preAllocatedVUs, c.preAllocatedVUs);
/** When each iteration is due, ms from the executor's start (startTime not included). */
export const arrivalOffsets = (c: Config): Iterable<number> => constantArrivals(c.rate / c.timeUnit, c.duration);

export function plan(c: Config): ExecutorPlan {
  const perSecond = (c.rate / c.timeUnit) * 1000;
  const vus = maxVUs(c) > c.preAllocatedVUs ? `${c.preAllocatedVUs}-${maxVUs(c)}` : `${c.preAllocatedVUs}`;
  return {
    durationMs: c.duration,
    gracefulStopMs: c.gracefulStop,
    iterations: countArrivals(arrivalOffsets(c)),
    maxVUs: maxVUs(c),
    description:
      `${perSecond.toFixed(2)} iterations/s for ${formatK6Duration(c.duration)} ` +
      `(maxVUs: ${vus}, gracefulStop: ${formatK6Duration(c.gracefulStop)})`,
  };
}

export function run(c: Config, ctx: ExecutorContext): Promise<void> {
  return runArrivals(
    arrivalOffsets(c),
    { preAllocatedVUs: c.preAllocatedVUs, maxVUs: maxVUs(c), gracefulStopMs: c.gracefulStop },
    ctx,
  );
}
