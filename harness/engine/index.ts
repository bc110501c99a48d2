/**
 * The engine's only surface: the load drivers (`runEngine`, `runPushFlood`) and their contract for the run
 * pipeline, the scenario sections it owns (workload, push flood) for scenarios/lib, the audience type for
 * seed, and the protocol client for the chat app's test helpers. Everything else in harness/engine is internal.
 */
export { channelsByStream, synthesizeAudience } from './audience.ts';
export type { DriverHooks, DriverProgress, DriverResult } from './driver.ts';
export { runEngine } from './engine.ts';
export type { EngineHooks, EngineProgress, EngineResult, EngineTargets, SamplesOptions } from './engine-types.ts';
export { arrivalTimes } from './executors/index.ts';
export { describeWorkload, planWorkload, type WorkloadPlan } from './plan.ts';
export { SubscriberConnection, type SubscriberListener } from './protocol/subscriber-connection.ts';
export { runPushFlood } from './push/push-flood.ts';
export { type PushFlood, PushFloodSchema, type PushFloodTargets } from './push/push-flood-schema.ts';
export type { CreatedMessage } from './targets/chat-app.ts';
export { roomStream } from './targets/chat-app.ts';
export type { AudienceMember, PublishTarget, TargetContext } from './targets/publish-target.ts';
export {
  type PublishersConfig,
  parseWorkload,
  type SubscribersConfig,
  type Workload,
  type WorkloadInput,
  WorkloadSchema,
} from './workload.ts';
