/**
 * zod schema of summary.json (schemaVersion 1), used when reading a run back: a hand-edited or truncated
 * file fails with the field that is wrong instead of a crash three modules later. Unknown fields pass
 * through (adding fields does not change the schemaVersion). Mirrors RunSummary in summary-types.ts.
 */
import { z } from 'zod';
import { SUMMARY_SCHEMA_VERSION } from '../../common/summary-types.ts';

const TrendSchema = z.looseObject({
  type: z.literal('trend'),
  unit: z.literal('ms'),
  count: z.number(),
  avg: z.number(),
  min: z.number(),
  med: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  p999: z.number(),
  max: z.number(),
});

const MetricSummarySchema = z.discriminatedUnion('type', [
  TrendSchema,
  z.looseObject({ type: z.literal('counter'), count: z.number(), rate: z.number() }),
  z.looseObject({ type: z.literal('gauge'), value: z.number(), min: z.number(), max: z.number() }),
  z.looseObject({ type: z.literal('rate'), rate: z.number(), passes: z.number(), fails: z.number() }),
]);

export const TimelineEventSchema = z.looseObject({
  at: z.number(),
  kind: z.enum(['phase', 'fault', 'note']),
  name: z.string(),
  detail: z.string().optional(),
});

export const RunSummarySchema = z.looseObject({
  schemaVersion: z.literal(SUMMARY_SCHEMA_VERSION),
  runId: z.string(),
  scenario: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  durationS: z.number(),
  valid: z.boolean(),
  invalidReasons: z.array(z.string()),
  aborted: z.looseObject({ by: z.string(), reason: z.string() }).nullable(),
  thresholds: z.array(
    z.looseObject({
      metric: z.string(),
      expression: z.string(),
      ok: z.boolean(),
      value: z.number().nullable(),
      abortOnFail: z.boolean(),
    }),
  ),
  metrics: z.record(z.string(), MetricSummarySchema),
  errorsByCode: z.record(z.string(), z.number()),
  push_ledger: z
    .looseObject({
      enqueued: z.number(),
      delivered: z.number(),
      failed: z.record(z.string(), z.number()),
      queued: z.number(),
      unaccounted: z.number(),
    })
    .optional(),
  clock: z.looseObject({ shards: z.number(), uncertaintyMs: z.number(), boundMs: z.number() }).optional(),
  generator: z.looseObject({
    workers: z.number(),
    cpuSeconds: z.number(),
    peakRssBytes: z.number(),
    maxEventLoopDelayP99Ms: z.number(),
  }),
  timeline: z.array(TimelineEventSchema),
});
