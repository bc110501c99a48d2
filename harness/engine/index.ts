/**
 * The engine's only surface: what the CLI's `run` command, gates and results use. Everything else in
 * harness/engine is internal.
 */

export { formatDuration, parseDuration } from '../common/duration.ts';
export { synthesizeAudience } from './audience.ts';
export type { DriverHooks, DriverProgress, DriverResult } from './driver.ts';
export { runEngine } from './engine.ts';
export type { EngineHooks, EngineProgress, EngineResult, EngineTargets, SamplesOptions } from './engine-types.ts';
export { describeWorkload, planWorkload, type WorkloadPlan } from './plan.ts';
export type { AudienceMember, PublishTarget, TargetContext } from './targets/publish-target.ts';
export {
  type PublishersConfig,
  parseWorkload,
  type SubscribersConfig,
  type Workload,
  type WorkloadInput,
  WorkloadSchema,
} from './workload.ts';
