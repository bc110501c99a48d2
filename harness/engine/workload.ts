/**
 * The scenario's `workload` section: who listens (subscribers), who publishes how (a k6 executor and a
 * publish target), how long to wait for stragglers (drain), what breaks when (faults), and what the load
 * generator may use before its numbers stop being trustworthy (limits). Validated before anything starts;
 * an error names the field (`workload.publishers.rate: …`).
 *
 * Durations are k6 strings ('30s', '1m30s', '500ms'); they come out of the schema as milliseconds.
 */
import { z } from 'zod';
import { atMost, parseOrExplain } from '../common/validation.ts';
import { EXECUTORS } from './executors/index.ts';
import { MAX_READ_BATCH_WINDOW_US } from './protocol/read-batching.ts';
import { SOCKET_READERS } from './protocol/socket-reader/build.ts';
import {
  durationMs,
  MAX_RATE_PER_S,
  MAX_STAGES,
  nonNegativeInt,
  positiveDurationMs,
  positiveInt,
  RATE_BOUND_MESSAGE,
} from './schema-helpers.ts';
import { isKnownTarget } from './targets/registry.ts';

export const DEFAULT_CONNECT_RATE = 500;

/** Most subscribers one run opens: they are sockets of this machine (a distributed run shards the fleet). */
export const MAX_SUBSCRIBERS = 1_000_000;
/** Most subscriber worker processes on one machine. */
export const MAX_SUBSCRIBER_WORKERS = 1024;
/** Most Centrifugo nodes a stack has (stack.nodes), so the most a subscriber can name. */
const MAX_NODES = 16;

const subscriberCount = nonNegativeInt.max(
  MAX_SUBSCRIBERS,
  atMost(
    MAX_SUBSCRIBERS,
    'subscribers per run on one machine (each is a socket: ~20,000 open files per process, ~28,000 ports per loopback source address); for more, shard the run over several machines',
  ),
);

const SubscribersSchema = z.strictObject({
  /** Subscriber connections (one user and one personal channel each); messages need someone to owe them. */
  count: subscriberCount.min(1),
  /** Connections opened per second, fleet-wide (default 500/s). Or `stages`, not both. */
  connectRate: z
    .number()
    .positive()
    .max(100_000, atMost(100_000, 'connections/s: more WebSocket handshakes than one machine completes'))
    .optional(),
  /** A ramping-vus-like connection ramp: linear stages to `target` connections; the last target = count. */
  stages: z
    .array(z.strictObject({ duration: durationMs, target: subscriberCount }))
    .min(1)
    .max(MAX_STAGES)
    .optional(),
  /**
   * One channel every subscriber listens on (e.g. `room:feed`; the `room` namespace allows client
   * subscribe) instead of each its own `personal:<id>`: one publication then fans out to everybody.
   */
  channel: z
    .string()
    .regex(/^[^\s]{1,255}$/, 'a Centrifugo channel name, e.g. room:feed')
    .optional(),
  /** Centrifugo nodes to connect to, by number (1 = the first), round-robin; default all of them. */
  nodes: z
    .union([
      z.literal('all'),
      z
        .array(positiveInt.max(MAX_NODES, atMost(MAX_NODES, 'Centrifugo nodes per stack')))
        .min(1)
        .max(MAX_NODES),
    ])
    .default('all'),
  /** Worker processes: 'auto' = one per core, more when the per-process socket limit needs it. */
  workers: z
    .union([
      z.literal('auto'),
      positiveInt.max(MAX_SUBSCRIBER_WORKERS, atMost(MAX_SUBSCRIBER_WORKERS, 'worker processes on one machine')),
    ])
    .default('auto'),
  /** Never more sockets than this per worker process (bounded further by its open-files limit). */
  maxSocketsPerWorker: positiveInt
    .max(1_000_000, atMost(1_000_000, 'sockets per process (the largest open-files limit a process gets)'))
    .default(15_000),
  /** Dial → subscribed within this, or the attempt is abandoned and retried. */
  connectTimeout: positiveDurationMs.default(10_000),
  /**
   * After the ramp, how long to wait for connections still missing before publishing starts anyway
   * (publishers.startAfter 'subscribers-connected' only).
   */
  rampGrace: durationMs.default(30_000),
  reconnect: z
    .strictObject({
      enabled: z.boolean().default(true),
      minDelay: positiveDurationMs.default(250),
      maxDelay: positiveDurationMs.default(5000),
    })
    .prefault({}),
  /** Live loss: a message published this long ago and still missing counts as lost (until it arrives). */
  lostAfter: positiveDurationMs.default(5000),
  /** Loopback source addresses (127.0.0.2, …) are used past this many sockets to one node (ports ≈ 28k). */
  socketsPerSourceAddress: positiveInt.max(28_000).default(25_000),
  /**
   * Centrifugo's client protocol: 'json' (text frames) or 'protobuf' (binary, `?format=protobuf`); the
   * publications' data is the same JSON bytes in both, so accounting and latency are the same.
   */
  protocol: z.enum(['json', 'protobuf']).default('json'),
  /**
   * While a broadcast trickles in, a worker waits this long after a loop turn before reading again, so one
   * wakeup finds many frames (protocol/read-batching.ts): ~30 % less worker CPU per delivery at 1 ms, and a
   * delivery's measured latency includes at most this much of the generator's own wait. '0ms' = off.
   */
  /**
   * How workers read their sockets once upgraded: 'native' — one epoll wakeup reads every ready socket in C
   * and hands JavaScript one batch, and answers a lone server ping there without calling JavaScript
   * (protocol/socket-reader/, built on first use with the machine's C compiler; ~25 % less CPU per delivery
   * in a burst, half a ping's cost); 'node' — Node's own per-socket reads; 'auto' — native when it builds
   * here, else Node's (the run's log says which, and why).
   */
  reader: z.enum(SOCKET_READERS).default('auto'),
  readBatchWindow: durationMs
    .pipe(
      z
        .number()
        .max(
          MAX_READ_BATCH_WINDOW_US / 1000,
          atMost(MAX_READ_BATCH_WINDOW_US / 1000, 'ms of read batch window (longer only adds latency)'),
        ),
    )
    .default(1),
});

/** Longest injected slowdown (publishers.slowdown), ms. */
export const MAX_SLOWDOWN_MS = 10_000;

/** When publishing starts: once the fleet is connected (default), or together with the connection ramp. */
export const START_AFTER = ['subscribers-connected', 'ramp-start'] as const;

const publisherOptions = {
  /**
   * What `startTime` counts from. 'subscribers-connected': publishing waits for every subscriber (or the
   * ramp plus rampGrace), and every subscriber owes every message. 'ramp-start': publishing starts with
   * the connection ramp and runs alongside it (a ramp under load), and each subscriber owes only the
   * messages intended at or after it became subscribed.
   */
  startAfter: z.enum(START_AFTER).default('subscribers-connected'),
  /** Where messages go: a name from targets/registry.ts, or an absolute path to a target module. */
  target: z.string().max(4096).default('centrifugo-broadcast'),
  /** Approximate size of each publication's JSON data (marker + padding), bytes. */
  payloadBytes: z.number().int().min(64).max(1_000_000).default(128),
  /** centrifugo-broadcast: channels per API call (a big audience is split into several calls). */
  channelsPerCall: positiveInt.max(100_000).default(1000),
  /** Per-call HTTP timeout. */
  requestTimeout: positiveDurationMs.default(10_000),
  /**
   * An injected, known slowdown (a documented fault, e.g. to calibrate a gate): every publication is held
   * this much longer before it is sent, and latency still counts from its intended time, so every delivery's
   * latency grows by exactly this much. '1.5ms', '250us'; default 0 = off. The hold occupies its VU, as a
   * slower publish path would (give maxVUs room for rate × slowdown more in flight).
   */
  slowdown: durationMs
    .pipe(
      z
        .number()
        .max(
          MAX_SLOWDOWN_MS,
          atMost(
            MAX_SLOWDOWN_MS,
            'ms of injected slowdown per publication: longer is an outage, not a slowdown (use workload.faults)',
          ),
        ),
    )
    .default(0),
};

const PublishersSchema = z.discriminatedUnion('executor', [
  EXECUTORS['constant-arrival-rate'].schema.extend(publisherOptions),
  EXECUTORS['ramping-arrival-rate'].schema.extend(publisherOptions),
  EXECUTORS['constant-vus'].schema.extend(publisherOptions),
  EXECUTORS['ramping-vus'].schema.extend(publisherOptions),
  EXECUTORS['per-vu-iterations'].schema.extend(publisherOptions),
  EXECUTORS['shared-iterations'].schema.extend(publisherOptions),
]);

const node = { node: positiveInt.max(MAX_NODES, atMost(MAX_NODES, 'Centrifugo nodes per stack')) };
const service = { service: z.enum(['redis', 'postgres', 'nats']) };
const FaultSchema = z.discriminatedUnion('action', [
  z.strictObject({ at: durationMs, action: z.literal('kill-centrifugo-node'), ...node }),
  z.strictObject({ at: durationMs, action: z.literal('start-centrifugo-node'), ...node }),
  z.strictObject({ at: durationMs, action: z.literal('pause-service'), ...service }),
  z.strictObject({ at: durationMs, action: z.literal('resume-service'), ...service }),
  // The cdc modes' Kafka Connect stopped (SIGKILL unless `kill: false`) and started again.
  z.strictObject({
    at: durationMs,
    action: z.literal('restart-service'),
    service: z.enum(['kafka-connect']),
    kill: z.boolean().default(true),
  }),
]);

const LimitsSchema = z.strictObject({
  /** A process whose event-loop delay p99 stays above this is saturated (its latency is its own). */
  maxEventLoopDelayP99Ms: z
    .number()
    .positive()
    .max(60_000, atMost(60_000, 'ms: an event loop a minute late is saturated at any threshold'))
    .default(50),
  /** A process using more than this share of one core is saturated. */
  maxCpuShare: z.number().positive().max(1).default(0.9),
  /** For this long in a row, before the run is declared invalid. */
  sustained: positiveDurationMs.default(3000),
});

export const WorkloadSchema = z
  .strictObject({
    subscribers: SubscribersSchema,
    publishers: PublishersSchema,
    /** After publishing ends: how long to wait for deliveries still in flight (ends early when all arrived). */
    drain: durationMs.default(5000),
    /** Faults at times relative to the start of publishing, through the caller's fault functions. */
    faults: z.array(FaultSchema).max(1000, atMost(1000, 'faults per run')).default([]),
    limits: LimitsSchema.prefault({}),
  })
  .superRefine((w, ctx) => {
    const s = w.subscribers;
    if (s.stages && s.connectRate !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['subscribers', 'connectRate'],
        message: 'give either connectRate or stages, not both',
      });
    }
    if (s.stages) {
      let previous = 0;
      s.stages.forEach((stage, i) => {
        if (stage.target < previous) {
          ctx.addIssue({
            code: 'custom',
            path: ['subscribers', 'stages', i, 'target'],
            message: `connections only ramp up (${stage.target} < ${previous}); subscribers stay until the end`,
          });
        }
        previous = stage.target;
      });
      if (previous !== s.count) {
        ctx.addIssue({
          code: 'custom',
          path: ['subscribers', 'stages', s.stages.length - 1, 'target'],
          message: `the last stage must reach subscribers.count (${s.count}), not ${previous}`,
        });
      }
    }
    if (!isKnownTarget(w.publishers.target)) {
      ctx.addIssue({
        code: 'custom',
        path: ['publishers', 'target'],
        message: `unknown target '${w.publishers.target}'; use centrifugo-broadcast, centrifugo-publish, a registered target or an absolute path to a target module`,
      });
    }
    // (Each check below is skipped when a field it reads is out of bounds already: that is the one problem.)
    const workersNeeded = Math.ceil(s.count / s.maxSocketsPerWorker);
    if (workersNeeded > MAX_SUBSCRIBER_WORKERS && s.count <= MAX_SUBSCRIBERS) {
      ctx.addIssue({
        code: 'custom',
        path: ['subscribers', 'maxSocketsPerWorker'],
        message: `${s.count} subscribers at ${s.maxSocketsPerWorker} per worker need ${workersNeeded} worker processes; ${atMost(MAX_SUBSCRIBER_WORKERS, 'on one machine: raise maxSocketsPerWorker')}`,
      });
    }
    const p = w.publishers;
    if ('timeUnit' in p) {
      const peak = 'rate' in p ? p.rate : Math.max(p.startRate, ...p.stages.map((stage) => stage.target));
      if (peak <= MAX_RATE_PER_S && (peak / p.timeUnit) * 1000 > MAX_RATE_PER_S) {
        ctx.addIssue({ code: 'custom', path: ['publishers', 'timeUnit'], message: RATE_BOUND_MESSAGE });
      }
    }
    if ('maxVUs' in p && p.maxVUs !== undefined && p.maxVUs < p.preAllocatedVUs) {
      ctx.addIssue({
        code: 'custom',
        path: ['publishers', 'maxVUs'],
        message: `must be at least preAllocatedVUs (${p.preAllocatedVUs})`,
      });
    }
  });

export type Workload = z.output<typeof WorkloadSchema>;
export type WorkloadInput = z.input<typeof WorkloadSchema>;
export type PublishersConfig = Workload['publishers'];
export type SubscribersConfig = Workload['subscribers'];
export type FaultStep = Workload['faults'][number];

/** Validates a workload (raw scenario input or an already parsed one: parsing is idempotent). */
export function parseWorkload(input: unknown, fieldPrefix = 'workload'): Workload {
  return parseOrExplain(WorkloadSchema, input, 'workload', fieldPrefix);
}
