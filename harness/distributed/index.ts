export {
  type ClockOffset,
  type CoordinatorClock,
  clockErrorUs,
  clockInvalidReason,
  DEFAULT_MAX_UNCERTAINTY_US,
  estimateClockOffset,
  type LocalClock,
  offsetThrough,
} from './clock-sync.ts';
export {
  type Coordinator,
  type CoordinatorOptions,
  coordinatorNowUs,
  type RunIdentity,
  startCoordinator,
} from './coordinator.ts';
export { CoordinatorClient } from './coordinator-client.ts';
export { type DistributedSpec, DistributedSpecSchema } from './distributed-spec.ts';
export {
  buildManifests,
  DEFAULT_LINGER_S,
  type ManifestInput,
  manifestsToJson,
  RESULTS_MOUNT,
} from './k8s-manifest.ts';
export {
  ownsKey,
  type Segment,
  shardSegment,
  sliceCount,
  sliceItems,
  sliceRange,
  sliceRate,
} from './segments.ts';
export { parseShardFlag, resolveShard, type Shard, WHOLE_RUN } from './shard.ts';
