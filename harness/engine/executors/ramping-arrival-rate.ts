import { z } from 'zod';
import { formatK6Duration } from '../../common/duration.ts';
import {
  commonExecutorOptions,
  durationMs,
  MAX_RATE_PER_S,
  MAX_STAGES,
  positiveDurationMs,
  positiveInt,
  RATE_BOUND_MESSAGE,
  vusCount,
} from '../schema-helpers.ts';
import { countArrivals, rampingArrivals } from './arrival-schedule.ts';
import { type ExecutorContext, type ExecutorPlan, runArrivals } from './executor.ts';

/** k6 `ramping-arrival-rate` (open model): the start rate follows linear `stages` from `startRate`. */
export const schema = z.strictObject({
  executor: z.literal('ramping-arrival-rate'),
  startRate: z.number().nonnegative().max(MAX_RATE_PER_S, RATE_BOUND_MESSAGE).default(0),
  timeUnit: positiveDurationMs.default(1000),
  stages: z
    .array(
      z.strictObject({
        duration: durationMs,
        target: z.number().nonnegative().max(MAX_RATE_PER_S, RATE_BOUND_MESSAGE),
      }),
    )
    .min(1)
    .max(MAX_STAGES),
  preAllocatedVUs: vusCount(positiveInt),
  maxVUs: vusCount(positiveInt).optional(),
  /**
   * Where in an iteration's interval the schedule starts, as a fraction (iteration i is due where the integral of
   * the rate reaches i + phase). 0 for one process; `--shard k/n` sets k/n so the shards' iterations interleave.
   */
  phase: z.number().min(0).lt(1).default(0),
  ...commonExecutorOptions,
});
export type Config = z.output<typeof schema>;

const maxVUs = (c: Config) => Math.max(c.maxVUs ?? c.preAllocatedVUs, c.preAllocatedVUs);
/** When each iteration is due, ms from the executor's start (startTime not included). */
export const arrivalOffsets = (c: Config): Iterable<number> =>
  rampingArrivals(
    c.startRate / c.timeUnit,
    c.stages.map((s) => ({ durationMs: s.duration, target: s.target / c.timeUnit })),
    c.phase,
  );

const totalMs = (c: Config) => c.stages.reduce((sum, s) => sum + s.duration, 0);

export function plan(c: Config): ExecutorPlan {
  const peak = (Math.max(c.startRate, ...c.stages.map((s) => s.target)) / c.timeUnit) * 1000;
  const vus = maxVUs(c) > c.preAllocatedVUs ? `${c.preAllocatedVUs}-${maxVUs(c)}` : `${c.preAllocatedVUs}`;
  return {
    durationMs: totalMs(c),
    gracefulStopMs: c.gracefulStop,
    iterations: countArrivals(arrivalOffsets(c)),
    maxVUs: maxVUs(c),
    description:
      `Up to ${peak.toFixed(2)} iterations/s for ${formatK6Duration(totalMs(c))} over ${c.stages.length} stages ` +
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
