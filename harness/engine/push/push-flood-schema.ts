import { z } from 'zod';
import { atMost, parseOrExplain } from '../../common/validation.ts';

const ratio = z.number().min(0).max(1);
const positiveInt = z.number().int().positive();
/** A provider's share: normalised against the other, so only its order of magnitude matters. */
const share = z
  .number()
  .min(0)
  .max(1_000_000, atMost(1_000_000, '(shares are normalised; use fractions or percentages)'));
/** Recipients per call for tokens and device ids: a number, or `'auto'` (see `recipientsPerCall`). */
const perCall = z.union([z.literal('auto'), positiveInt.max(10_000)]);
/** Seconds of one phase of the flood (a fault window, a drain): a day at most. */
const phaseSeconds = (base: z.ZodNumber) => base.max(86_400, atMost(86_400, 's (24h) per flood phase'));

/** Sink fault variants a flood can run under (applied through the sink's control API when the flood starts). */
export const SINK_FAULT_VARIANTS = ['none', '429-storm', '503-outage', 'dead-tokens'] as const;
export type SinkFaultVariant = (typeof SINK_FAULT_VARIANTS)[number];

/**
 * The push flood: register a device population, enqueue `pushes.total` pushes at `pushes.rate` through a
 * push API with Centrifugo PRO's contract, wait until the queue drains, and account for every push.
 * Every field has a default; `PushFloodSchema.parse({})` is a 1,000,000-push flood over 100,000 devices.
 */
export const PushFloodSchema = z
  .object({
    /**
     * What answers at `targets.relayUrl`: `relay` (this project's reference relay: bulk registration and an
     * exact ledger), `centrifugo-pro` (real PRO, typically `push_notifications.dry_run: true`: enqueue timing
     * only), `generic` (any service with PRO's push API: its ledger is used if it answers `push_ledger_aggregate`).
     */
    api: z.enum(['relay', 'centrifugo-pro', 'generic']).default('relay'),
    devices: z
      .object({
        count: positiveInt
          .max(10_000_000, atMost(10_000_000, 'devices per flood (registered before it starts)'))
          .default(100_000),
        /** Share of each provider in the population; normalised, so {fcm: 4, webpush: 1} works too. */
        mix: z
          .object({ fcm: share.default(0.8), webpush: share.default(0.2) })
          .strict()
          .refine((m) => m.fcm + m.webpush > 0, 'give at least one provider a share above 0')
          .default({ fcm: 0.8, webpush: 0.2 }),
        /** Distinct users; devices are spread over them round-robin (users with several devices, like GrandChat). */
        users: positiveInt.max(10_000_000, atMost(10_000_000, 'users (devices.count is at most as many)')).optional(),
        topics: z
          .object({
            /** Topics in the population (`bench-topic-<n>`). */
            count: positiveInt.max(1_000_000).default(1000),
            /** Topics each device subscribes to (distinct, drawn per device). */
            perDevice: z.number().int().min(0).max(100).default(2),
          })
          .strict()
          .default({ count: 1000, perDevice: 2 }),
        /** Devices per bulk registration call (relay), or concurrent device_register calls (other APIs). */
        registrationBatch: positiveInt.max(10_000).default(2000),
        /** Faker seed: the same seed gives the same population. */
        seed: z
          .number()
          .int()
          .max(2 ** 32 - 1, atMost(2 ** 32 - 1, '(faker seeds are 32-bit)'))
          .default(1),
      })
      .strict()
      .default({
        count: 100_000,
        mix: { fcm: 0.8, webpush: 0.2 },
        topics: { count: 1000, perDevice: 2 },
        registrationBatch: 2000,
        seed: 1,
      }),
    pushes: z
      .object({
        total: positiveInt
          .max(100_000_000, atMost(100_000_000, 'pushes per flood (a day at over 1,000/s)'))
          .default(1_000_000),
        /** Pushes per second on an open model (intended send times), or 'max': as fast as the API takes them. */
        rate: z
          .union([
            z.literal('max'),
            z
              .number()
              .positive()
              .max(
                1_000_000,
                atMost(1_000_000, 'pushes/s: more than one generator can enqueue through an HTTP API; use max'),
              ),
          ])
          .default('max'),
        /** Enqueue calls in flight at most. */
        concurrency: positiveInt.max(4096).default(64),
        /**
         * At a fixed rate, where in its call interval the schedule starts (0 ≤ phase < 1): call c is due at
         * (c + phase) intervals. 0 for one process; `--shard k/n` sets k/n so the shards' calls interleave instead
         * of leaving together at the barrier instant (as the arrival-rate executors' phase does).
         */
        phase: z.number().min(0).lt(1).default(0),
        /**
         * Who one `send_push_notification` call goes to, the way apps push (one call, many devices):
         * `token` = `count` raw tokens of one provider (fcm_tokens / webpush_tokens); `device` = `count` device
         * ids (filter.ids); `topic` = `count` topics (filter.topics). For `token` and `device`, `total` and `rate`
         * count device messages and a call carries `count` of them (`'auto'`: see `recipientsPerCall`); for
         * `topic` they count calls (the API resolves how many devices a topic has).
         */
        recipients: z
          .discriminatedUnion('kind', [
            z.object({ kind: z.literal('token'), count: perCall.default('auto') }).strict(),
            z.object({ kind: z.literal('device'), count: perCall.default('auto') }).strict(),
            z.object({ kind: z.literal('topic'), count: positiveInt.max(100).default(1) }).strict(),
          ])
          .default({ kind: 'token', count: 'auto' }),
        /** Approximate payload size: FCM message / Web Push plaintext, bytes. */
        payloadBytes: z.number().int().min(0).max(3900).default(256),
        /** notification.expire_at = enqueue time + this; pushes not sent by then fail as `expired`. */
        expireAfterS: positiveInt
          .max(2_419_200, atMost(2_419_200, 's (28 days, the longest FCM and Web Push keep a message)'))
          .optional(),
      })
      .strict()
      .default({
        total: 1_000_000,
        rate: 'max',
        concurrency: 64,
        phase: 0,
        recipients: { kind: 'token', count: 'auto' },
        payloadBytes: 256,
      }),
    /** After the last enqueue: how long to wait for the queue to drain before accounting. */
    drainTimeoutS: phaseSeconds(positiveInt).default(600),
    /**
     * Sink fault variant (needs `targets.sinkControlUrl`): `429-storm` and `503-outage` are windows on the
     * sink's timeline (`faultWindow`, seconds after the enqueue phase starts); `dead-tokens` makes
     * `deadFraction` of the minted tokens dead (404 UNREGISTERED / 410). Or a full sink fault profile.
     */
    sinkFaults: z.union([z.enum(SINK_FAULT_VARIANTS), z.record(z.string(), z.unknown())]).default('none'),
    faultWindow: z
      .object({
        startS: phaseSeconds(z.number().min(0)).default(2),
        durationS: phaseSeconds(z.number().positive()).default(5),
        /** Share of requests answered 429/503 inside the window. */
        probability: ratio.default(1),
        retryAfterS: z.number().int().min(0).max(3600, atMost(3600, 's of Retry-After')).default(1),
      })
      .strict()
      .default({ startS: 2, durationS: 5, probability: 1, retryAfterS: 1 }),
    deadFraction: ratio.default(0.05),
    /** Zero the sink's counters and histograms first, so its receipts and latencies are this run's alone. */
    resetSinkStats: z.boolean().default(true),
  })
  .strict();

export type PushFlood = z.infer<typeof PushFloodSchema>;

/** `'auto'` at `rate: 'max'`: the size at which the reference relay's enqueue stopped being its limit (README). */
export const AUTO_RECIPIENTS_AT_MAX_RATE = 500;
/** `'auto'` at a fixed rate: at most this many calls a second, so a call still carries a 10 ms slice of the schedule. */
export const AUTO_CALLS_PER_SECOND = 100;

/**
 * Device messages one call carries (token and device recipients): the explicit count, or for `'auto'` 500 at
 * `rate: 'max'` and rate/100 (at least 1) at a fixed rate — calls 10 ms apart, so batching does not change
 * what an open-model latency measures. Topic recipients: 1 (one call is one unit; the API fans it out).
 */
export function recipientsPerCall(pushes: PushFlood['pushes']): number {
  const { recipients, rate } = pushes;
  if (recipients.kind === 'topic') return 1;
  if (recipients.count !== 'auto') return recipients.count;
  if (rate === 'max') return AUTO_RECIPIENTS_AT_MAX_RATE;
  return Math.max(1, Math.min(AUTO_RECIPIENTS_AT_MAX_RATE, Math.floor(rate / AUTO_CALLS_PER_SECOND)));
}
export type PushFloodInput = z.input<typeof PushFloodSchema>;

/**
 * Validates a flood at the edge (a scenario's `push` is parsed with the scenario; tests and the bench parse
 * raw input here): a bad flood throws UserError naming the field as `push.<path>`.
 */
export function parsePushFlood(input: PushFloodInput): PushFlood {
  return parseOrExplain(PushFloodSchema, input, 'push flood', 'push');
}

/** Where the flood sends: the push API, and optionally the sink's control API (receipts, faults, minting). */
export interface PushFloodTargets {
  /** Base URL of the push API (`POST {relayUrl}/api/<method>`): the relay, Centrifugo PRO, or another service. */
  relayUrl: string;
  relayApiKey: string;
  /** `https://127.0.0.1:<port>/__sink`: mints tokens, applies faults, reports receipts and e2e latency. */
  sinkControlUrl?: string;
  /** CA certificate (PEM file) the sink's TLS certificate is issued by. */
  caFile?: string;
}
