import { z } from 'zod';
import { parseOrExplain } from '../../common/validation.ts';

const probability = z.number().min(0).max(1);

/** A log-normal response delay given by its median and 99th percentile, plus rare uniform stalls. */
export const LatencySchema = z
  .object({
    p50Ms: z.number().min(0).max(60_000),
    p99Ms: z.number().min(0).max(120_000),
    stallProbability: probability.default(0),
    stallMs: z.tuple([z.number().min(0).max(600_000), z.number().min(0).max(600_000)]).default([2000, 15_000]),
  })
  .strict()
  .refine((l) => l.p99Ms >= l.p50Ms, { message: 'p99Ms must be ≥ p50Ms', path: ['p99Ms'] })
  .refine((l) => l.stallMs[1] >= l.stallMs[0], { message: 'stallMs is [min, max] with min ≤ max', path: ['stallMs'] });
export type Latency = z.infer<typeof LatencySchema>;

export const FCM_INJECTABLE = ['401', '429', '500', '503'] as const;
export const WEBPUSH_INJECTABLE = ['429', '500', '502', '503'] as const;

const errorMix = <K extends readonly string[]>(keys: K) =>
  z
    .object(
      Object.fromEntries(keys.map((k) => [k, probability.optional()])) as Record<
        K[number],
        z.ZodOptional<typeof probability>
      >,
    )
    .strict()
    .refine((mix) => Object.values(mix).reduce<number>((a, b) => a + ((b as number | undefined) ?? 0), 0) <= 1, {
      message: 'the probabilities add up to more than 1',
    });

export const FaultWindowSchema = z
  .object({
    startSeconds: z.number().min(0).max(86_400),
    durationSeconds: z.number().positive().max(86_400),
    provider: z.enum(['fcm', 'webpush', 'all']).default('all'),
    status: z.union([z.literal(429), z.literal(500), z.literal(503)]).default(503),
    probability: probability.default(1),
    retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  })
  .strict();
export type FaultWindow = z.infer<typeof FaultWindowSchema>;

/** What can go wrong, changeable at run time (PUT/PATCH /__sink/faults). Everything defaults to "nothing". */
export const FaultProfileSchema = z
  .object({
    seed: z.string().max(200).optional(),
    deadFraction: z
      .object({ fcm: probability.default(0), webpush: probability.default(0) })
      .strict()
      .default({ fcm: 0, webpush: 0 }),
    latency: z
      .object({ fcm: LatencySchema.optional(), webpush: LatencySchema.optional(), token: LatencySchema.optional() })
      .strict()
      .default({}),
    errors: z
      .object({ fcm: errorMix(FCM_INJECTABLE).optional(), webpush: errorMix(WEBPUSH_INJECTABLE).optional() })
      .strict()
      .default({}),
    retryAfterSeconds: z
      .object({
        '429': z.number().int().min(0).max(3600).optional(),
        '503': z.number().int().min(0).max(3600).optional(),
      })
      .strict()
      .default({}),
    windows: z.array(FaultWindowSchema).max(1000).default([]),
  })
  .strict();
export type FaultProfile = z.infer<typeof FaultProfileSchema>;
export type FaultProfileInput = z.input<typeof FaultProfileSchema>;

export const SinkConfigSchema = z
  .object({
    seed: z.string().min(1).optional(),
    workers: z.union([z.number().int().min(1).max(64), z.literal('auto')]).default(1),
    port: z.number().int().min(0).max(65_535).default(0),
    stateDir: z.string().optional(),
    fcm: z
      .object({
        projectId: z
          .string()
          .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a Google project id: 6–30 lowercase letters, digits, hyphens')
          .default('bench-project'),
        accessTokenTtlSeconds: z.number().int().min(1).max(3600).default(3599),
        quota: z
          .object({
            perMinute: z.number().int().min(1).max(1_000_000_000).default(600_000),
            retryAfterSeconds: z.number().int().min(0).max(3600).nullable().default(null),
          })
          .strict()
          .default({ perMinute: 600_000, retryAfterSeconds: null }),
        perDevice: z
          .object({
            perMinute: z.number().int().min(1).max(1_000_000_000).default(240),
            perHour: z.number().int().min(1).max(1_000_000_000).default(5000),
          })
          .strict()
          .nullable()
          .default({ perMinute: 240, perHour: 5000 }),
      })
      .strict()
      .default({
        projectId: 'bench-project',
        accessTokenTtlSeconds: 3599,
        quota: { perMinute: 600_000, retryAfterSeconds: null },
        perDevice: { perMinute: 240, perHour: 5000 },
      }),
    webPush: z
      .object({
        requireVapid: z.boolean().default(true),
        decryptSampleRate: probability.default(1),
        rejectUndecryptable: z.boolean().default(true),
      })
      .strict()
      .default({ requireVapid: true, decryptSampleRate: 1, rejectUndecryptable: true }),
    http2: z
      .object({ maxConcurrentStreams: z.number().int().min(1).max(10_000).default(100) })
      .strict()
      .default({ maxConcurrentStreams: 100 }),
    receipts: z.boolean().default(true),
    faults: FaultProfileSchema.default(FaultProfileSchema.parse({})),
  })
  .strict();
export type SinkConfig = z.infer<typeof SinkConfigSchema>;
export type SinkConfigInput = z.input<typeof SinkConfigSchema>;

/** Validates a sink configuration (stack option `pushSink`, `--config` file); throws a UserError naming the field. */
export function parseSinkConfig(value: unknown, what = 'push sink config', prefix = ''): SinkConfig {
  return parseOrExplain(SinkConfigSchema, value ?? {}, what, prefix);
}

/** Validates a fault profile; `current` given → a PATCH: top-level keys of `value` replace those of `current`. */
export function parseFaultProfile(value: unknown, current?: FaultProfile): FaultProfile {
  const merged = current && value && typeof value === 'object' ? { ...current, ...(value as object) } : value;
  return parseOrExplain(FaultProfileSchema, merged ?? {}, 'fault profile');
}
