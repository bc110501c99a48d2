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

/** k6 `shared-iterations` (closed model): `iterations` in total, shared by `vus` VUs, within `maxDuration`. */
export const schema = z.strictObject({
  executor: z.literal('shared-iterations'),
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
    iterations: c.iterations,
    maxVUs: c.vus,
    description:
      `${c.iterations} iterations shared among ${c.vus} VUs ` +
      `(maxDuration: ${formatK6Duration(c.maxDuration)}, gracefulStop: ${formatK6Duration(c.gracefulStop)})`,
  };
}

export function run(c: Config, ctx: ExecutorContext): Promise<void> {
  let started = 0;
  const endUs = monoUs() + c.maxDuration * 1000;
  return runLoops(
    c.vus,
    { endUs, gracefulStopMs: c.gracefulStop, sleepMs: c.sleep },
    () => {
      if (started >= c.iterations) return false;
      started++;
      return true;
    },
    ctx,
  );
}
