/**
 * Bench-only: the workload and targets the engine's macro benchmarks share (`engine.bench.ts`,
 * `sdk-comparison.bench.ts`) — N subscribers on personal channels of one Centrifugo node, a
 * constant-arrival-rate broadcast to all of them, a 5 s drain — so both measure the same thing.
 */
import type { EngineTargets } from '../engine-types.ts';
import { parseWorkload, type Workload } from '../workload.ts';

export interface BroadcastBenchOptions {
  subscribers: number;
  connectRate: number;
  workers: number | 'auto';
  /** Broadcasts per second. */
  rate: number;
  duration: string;
  payloadBytes: number;
  /** A silent start of the publish phase (`publishers.startTime`), e.g. an idle window. */
  startTime?: string;
  /** The engine fleet's Centrifugo protocol (default json). */
  protocol?: 'json' | 'protobuf';
  /** `subscribers.readBatchWindow` (default: the workload's, 1ms). */
  readBatchWindow?: string;
  /** `subscribers.reader` (default: the workload's, 'auto'). */
  reader?: 'auto' | 'native' | 'node';
}

export function broadcastBenchWorkload(options: BroadcastBenchOptions): Workload {
  return parseWorkload({
    subscribers: {
      count: options.subscribers,
      connectRate: options.connectRate,
      workers: options.workers,
      protocol: options.protocol ?? 'json',
      ...(options.readBatchWindow === undefined ? {} : { readBatchWindow: options.readBatchWindow }),
      ...(options.reader === undefined ? {} : { reader: options.reader }),
    },
    publishers: {
      executor: 'constant-arrival-rate',
      rate: options.rate,
      duration: options.duration,
      ...(options.startTime === undefined ? {} : { startTime: options.startTime }),
      preAllocatedVUs: 20,
      maxVUs: 100,
      payloadBytes: options.payloadBytes,
    },
    drain: '5s',
  });
}

/** One node of a local stack, with the stack's secrets (the shape of `stack.endpoints` / `stack.secrets`). */
export function singleNodeTargets(
  node: { wsUrl: string; apiUrl: string },
  secrets: { centrifugoApiKey: string; centrifugoHmacSecret: string },
): EngineTargets {
  return {
    centrifugo: {
      wsUrls: [node.wsUrl],
      apiUrls: [node.apiUrl],
      apiKey: secrets.centrifugoApiKey,
      hmacSecret: secrets.centrifugoHmacSecret,
    },
  };
}
