/** The engine's public types: what `runEngine` takes and returns (plain data; see index.ts). */
import type { StackFaults } from '../common/stack-types.ts';
import type { DeliverySample } from '../common/summary-types.ts';
import type { StreamFinal } from './accounting/publish-ledger.ts';
import type { DriverHooks, DriverProgress, DriverResult } from './driver.ts';
import type { AudienceMember } from './targets/publish-target.ts';

export interface EngineTargets {
  centrifugo: { wsUrls: string[]; apiUrls: string[]; apiKey: string; hmacSecret: string };
  /** Who receives which stream; absent → users u1..uN (N = subscribers.count), each owing `broadcast`. */
  audience?: AudienceMember[];
  /** Options for the publish target (pluggable targets such as chat-app read theirs from here). */
  targetOptions?: Record<string, unknown>;
  /**
   * What the publisher publishes (stream id → its channels), when it is not derived from `audience`: a shard of
   * a distributed run publishes its own streams to every shard's channels but subscribes only its own users.
   */
  publishStreams?: Record<string, string[]>;
}

/** The engine's live line is the drivers' one. */
export type EngineProgress = DriverProgress;

export interface EngineHooks extends DriverHooks {
  faults?: Partial<StackFaults>;
  /** Raw per-message rows: which fraction of deliveries (see metrics/delivery-sampler.ts), for onSamples. */
  samples?: SamplesOptions;
  /** Sampled deliveries, once a second (with the point) while deliveries happen; needs `samples.rate` > 0. */
  onSamples?(rows: DeliverySample[]): void;
  /**
   * A shard of a distributed run (harness/distributed): resolves when every shard's subscribers are connected
   * and the common start instant has come; called after the connection phase, before the first publication.
   */
  startBarrier?(): Promise<void>;
  /**
   * A shard of a distributed run: hands this shard's published streams over and returns every shard's, so
   * the drain and the exact accounting cover streams other shards published to this shard's subscribers.
   */
  exchangePublished?(own: Record<string, StreamFinal>): Promise<Record<string, StreamFinal>>;
  /**
   * A shard of a distributed run: µs its workers add to CLOCK_MONOTONIC to be in the coordinator's time base —
   * the publisher to the intended time it stamps, subscribers to the receive time they measure latency from.
   */
  clockOffsetUs?: number;
}

export interface SamplesOptions {
  /** Fraction of deliveries kept as rows, 0..1 (0: none). */
  rate: number;
  /** Written into every row's run_id (default ''). */
  runId?: string;
  /** Rows per second, fleet-wide, at most (default 5000): past it a uniform sample of the second is kept. */
  maxPerSecond?: number;
}

/** The engine returns what every driver returns (no push ledger). */
export type EngineResult = DriverResult;
