/**
 * The executors, by k6 type string. A new executor is a file named after its type (schema, plan, run), a
 * test, and one line here.
 */
import * as constantArrivalRate from './constant-arrival-rate.ts';
import * as constantVus from './constant-vus.ts';
import type { ExecutorContext, ExecutorPlan } from './executor.ts';
import * as perVuIterations from './per-vu-iterations.ts';
import * as rampingArrivalRate from './ramping-arrival-rate.ts';
import * as rampingVus from './ramping-vus.ts';
import * as sharedIterations from './shared-iterations.ts';

export const EXECUTORS = {
  'constant-arrival-rate': constantArrivalRate,
  'ramping-arrival-rate': rampingArrivalRate,
  'constant-vus': constantVus,
  'ramping-vus': rampingVus,
  'per-vu-iterations': perVuIterations,
  'shared-iterations': sharedIterations,
} as const;

export type ExecutorType = keyof typeof EXECUTORS;

export type ExecutorConfig =
  | constantArrivalRate.Config
  | rampingArrivalRate.Config
  | constantVus.Config
  | rampingVus.Config
  | perVuIterations.Config
  | sharedIterations.Config;

export function planExecutor(config: ExecutorConfig): ExecutorPlan {
  // Each module's plan takes its own config type; the discriminant guarantees the match.
  const module = EXECUTORS[config.executor] as { plan(c: ExecutorConfig): ExecutorPlan };
  return module.plan(config);
}

export function runExecutor(config: ExecutorConfig, ctx: ExecutorContext): Promise<void> {
  const module = EXECUTORS[config.executor] as { run(c: ExecutorConfig, ctx: ExecutorContext): Promise<void> };
  return module.run(config, ctx);
}

/**
 * When each iteration of an open-model executor is due, ms from the start of the publish phase (startTime
 * included); undefined for the closed-model executors, whose iterations follow the VUs.
 */
export function arrivalTimes(config: ExecutorConfig): number[] | undefined {
  if (!isOpenModel(config.executor)) return undefined;
  const module = EXECUTORS[config.executor] as { arrivalOffsets(c: ExecutorConfig): Iterable<number> };
  return [...module.arrivalOffsets(config)].map((t) => config.startTime + t);
}

/** True for the open-model (arrival-rate) executors: latency is measured from the schedule. */
export function isOpenModel(type: ExecutorType): boolean {
  return type === 'constant-arrival-rate' || type === 'ramping-arrival-rate';
}

export type { ExecutorContext, ExecutorPlan } from './executor.ts';
