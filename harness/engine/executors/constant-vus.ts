import { z } from 'zod';
import { formatK6Duration } from '../../common/duration.ts';
import { monoUs } from '../../common/mono-clock.ts';
import { commonExecutorOptions, durationMs, positiveDurationMs, positiveInt, vusCount } from '../schema-helpers.ts';
import { type ExecutorContext, type ExecutorPlan, runLoops } from './executor.ts';

/**
 * k6 `constant-vus` (closed model): `vus` loops publishing back to back for `duration`. `sleep` is the pause
 * a k6 script would `sleep()` between iterations. Latency is measured from each iteration's start: a closed
 * model slows down with the system (coordinated omission) — use an arrival-rate executor to measure latency.
 */
export const schema = z.strictObject({
  executor: z.literal('constant-vus'),
  vus: vusCount(positiveInt).default(1),
  duration: positiveDurationMs,
  sleep: durationMs.default(0),
  ...commonExecutorOptions,
});
export type Config = z.output<typeof schema>;

export function plan(c: Config): ExecutorPlan {
  return {
    durationMs: c.duration,
    gracefulStopMs: c.gracefulStop,
    iterations: null,
    maxVUs: c.vus,
    description: `${c.vus} looping VUs for ${formatK6Duration(c.duration)} (gracefulStop: ${formatK6Duration(c.gracefulStop)})`,
  };
}

export function run(c: Config, ctx: ExecutorContext): Promise<void> {
  const endUs = monoUs() + c.duration * 1000;
  return runLoops(c.vus, { endUs, gracefulStopMs: c.gracefulStop, sleepMs: c.sleep }, () => true, ctx);
}
