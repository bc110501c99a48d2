import { z } from 'zod';
import { formatK6Duration } from '../../common/duration.ts';
import { monoUs } from '../../common/mono-clock.ts';
import {
  commonExecutorOptions,
  durationMs,
  ITERATIONS_BOUND_MESSAGE,
  MAX_ITERATIONS,
  positiveDurationMs,
  positiveInt,
  vusCount,
} from '../schema-helpers.ts';
import { type ExecutorContext, type ExecutorPlan, runLoops } from './executor.ts';

/** k6 `per-vu-iterations` (closed model): each of `vus` VUs runs exactly `iterations`, within `maxDuration`. */
export const schema = z.strictObject({
  executor: z.literal('per-vu-iterations'),
  vus: vusCount(positiveInt).default(1),
  iterations: positiveInt.max(MAX_ITERATIONS, ITERATIONS_BOUND_MESSAGE).default(1),
  maxDuration: positiveDurationMs.default(600_000),
  sleep: durationMs.default(0),
  ...commonExecutorOptions,
});
export type Config = z.output<typeof schema>;

export function plan(c: Config): ExecutorPlan {
  return {
    durationMs: c.maxDuration,
    gracefulStopMs: c.gracefulStop,
    iterations: c.vus * c.iterations,
    maxVUs: c.vus,
    description:
      `${c.iterations} iterations for each of ${c.vus} VUs ` +
      `(maxDuration: ${formatK6Duration(c.maxDuration)}, gracefulStop: ${formatK6Duration(c.gracefulStop)})`,
  };
}

export function run(c: Config, ctx: ExecutorContext): Promise<void> {
  const done = new Array<number>(c.vus).fill(0);
  const endUs = monoUs() + c.maxDuration * 1000;
  return runLoops(
    c.vus,
    { endUs, gracefulStopMs: c.gracefulStop, sleepMs: c.sleep },
    (vu) => {
      if (done[vu]! >= c.iterations) return false;
      done[vu]!++;
      return true;
    },
    ctx,
  );
}
