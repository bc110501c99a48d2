import { z } from 'zod';
import { formatK6Duration } from '../../common/duration.ts';
import { monoUs } from '../../common/mono-clock.ts';
import { commonExecutorOptions, durationMs, MAX_STAGES, nonNegativeInt, vusCount } from '../schema-helpers.ts';
import { type ExecutorContext, type ExecutorPlan, runLoops } from './executor.ts';

/**
 * k6 `ramping-vus` (closed model): the number of looping VUs follows linear `stages` from `startVUs`.
 * A VU above the current target finishes its iteration and pauses (iterations are single publishes, so
 * gracefulRampDown only bounds how long that may take).
 */
export const schema = z.strictObject({
  executor: z.literal('ramping-vus'),
  startVUs: vusCount(nonNegativeInt).default(1),
  stages: z
    .array(z.strictObject({ duration: durationMs, target: vusCount(nonNegativeInt) }))
    .min(1)
    .max(MAX_STAGES),
  gracefulRampDown: durationMs.default(30_000),
  sleep: durationMs.default(0),
  ...commonExecutorOptions,
});
export type Config = z.output<typeof schema>;

const totalMs = (c: Config) => c.stages.reduce((sum, s) => sum + s.duration, 0);
const peak = (c: Config) => Math.max(c.startVUs, ...c.stages.map((s) => s.target));

/** The VU target `elapsedMs` into the executor (linear within a stage, like k6). */
export function targetAt(c: Config, elapsedMs: number): number {
  let from = c.startVUs;
  let at = 0;
  for (const stage of c.stages) {
    if (elapsedMs < at + stage.duration) {
      const fraction = stage.duration > 0 ? (elapsedMs - at) / stage.duration : 1;
      return Math.floor(from + (stage.target - from) * fraction);
    }
    at += stage.duration;
    from = stage.target;
  }
  return from;
}

export function plan(c: Config): ExecutorPlan {
  return {
    durationMs: totalMs(c),
    gracefulStopMs: c.gracefulStop,
    iterations: null,
    maxVUs: peak(c),
    description:
      `Up to ${peak(c)} looping VUs for ${formatK6Duration(totalMs(c))} over ${c.stages.length} stages ` +
      `(gracefulRampDown: ${formatK6Duration(c.gracefulRampDown)}, gracefulStop: ${formatK6Duration(c.gracefulStop)})`,
  };
}

export function run(c: Config, ctx: ExecutorContext): Promise<void> {
  const startUs = monoUs();
  const endUs = startUs + totalMs(c) * 1000;
  return runLoops(
    peak(c),
    { endUs, gracefulStopMs: c.gracefulStop, sleepMs: c.sleep },
    (vu) => (vu < targetAt(c, (monoUs() - startUs) / 1000) ? true : 'pause'),
    ctx,
  );
}
