/**
 * The scenario's `distributed` section: what a sharded run of it must hold to be valid. Owned here, assembled
 * into the scenario schema (scenarios/lib/scenario.ts) like the other sections; a single-process run ignores it.
 */
import { z } from 'zod';
import { DEFAULT_MAX_UNCERTAINTY_US } from './clock-sync.ts';

export const DistributedSpecSchema = z.strictObject({
  /**
   * Clock uncertainty (ms) beyond which a shard's run is invalid: a shard's offset to the coordinator, or a push
   * sink's, uncertain by more than this before or after the run, or drifting by more between the two. Latency is
   * only as exact as the clocks; the default 5 ms sits well above a LAN round trip and well below a
   * cross-machine latency worth reporting. Raise it for shards far from the coordinator, knowing every latency
   * is then ± this much.
   */
  maxClockUncertaintyMs: z
    .number()
    .positive()
    .max(1000, 'at most 1000 ms: beyond that, latencies across machines mean nothing')
    .default(DEFAULT_MAX_UNCERTAINTY_US / 1000),
});

export type DistributedSpec = z.output<typeof DistributedSpecSchema>;
