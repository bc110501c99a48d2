/**
 * What a scenario file is: one typed definition, validated before anything starts. The schema is
 * assembled from the sections each part of the harness owns — the stack (harness/stack), the workload
 * (harness/engine), the thresholds (harness/gate) — so a section changes in one place only.
 *
 *   import { defineScenario } from './lib/scenario.ts';
 *   export default defineScenario({ name: 'smoke', stack: { engine: 'memory' }, workload: { … }, thresholds: { … } });
 */
import { z } from 'zod';
import { atMost } from '../../harness/common/validation.ts';
import { DistributedSpecSchema } from '../../harness/distributed/index.ts';
import { PushFloodSchema, WorkloadSchema } from '../../harness/engine/index.ts';
import { ThresholdsSchema } from '../../harness/gate/index.ts';
import { DatasetSchema } from '../../harness/seed/index.ts';
import { StackSpecSchema } from '../../harness/stack/index.ts';

export const ResultsOptionsSchema = z.strictObject({
  /**
   * Also write the run into ClickHouse while it runs (files are always written first): `true` starts a
   * ClickHouse with the local stack; a URL uses that server.
   */
  clickhouse: z.union([z.boolean(), z.string().url()]).default(false),
  /** Fraction of deliveries kept as raw rows (samples.ndjson); 0 keeps none. */
  sampleRate: z.number().min(0).max(1).default(0),
  /** Write report.html at the end of the run. */
  report: z.boolean().default(true),
});

/** Online users are subscribers: as many as one machine's fleet holds (workload.subscribers.count). */
const ONLINE_BOUND = 1_000_000;
const ONLINE_BOUND_MESSAGE = atMost(
  ONLINE_BOUND,
  'online users per run on one machine (each is a subscriber socket); for more, shard the run over several machines',
);

/**
 * Which dataset users are online (have a subscriber), for scenarios with a `dataset`: one per room like
 * GrandChat's latency table, N per room, or given user ids. The subscriber count follows from it.
 */
export const OnlineSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('one-per-room'), pick: z.enum(['last', 'random']).optional() }),
  z.strictObject({
    kind: z.literal('per-room'),
    count: z.number().int().positive().max(ONLINE_BOUND, ONLINE_BOUND_MESSAGE),
    pick: z.enum(['last', 'random']).optional(),
  }),
  z.strictObject({
    kind: z.literal('users'),
    userIds: z
      .array(z.number().int().positive().max(10_000_000, atMost(10_000_000, 'users per dataset')))
      .min(1)
      .max(ONLINE_BOUND, ONLINE_BOUND_MESSAGE),
  }),
]);

/**
 * With a dataset, who subscribes follows from `online`: `workload.subscribers.count` may be left out, and is
 * set to the number of online users when the run starts.
 */
function countFromDataset(input: unknown): unknown {
  const scenario = input as { dataset?: unknown; workload?: { subscribers?: Record<string, unknown> } } | null;
  const subscribers = scenario?.workload?.subscribers;
  if (!scenario?.dataset || !subscribers || typeof subscribers !== 'object' || 'count' in subscribers) return input;
  return { ...scenario, workload: { ...scenario.workload, subscribers: { ...subscribers, count: 1 } } };
}

const ScenarioObjectSchema = z
  .strictObject({
    /** Short name, used in results and reports. */
    name: z
      .string()
      .max(100)
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'use letters, digits, dot, dash or underscore'),
    description: z.string().max(2000).optional(),
    stack: StackSpecSchema.prefault({}),
    /** A seeded GrandChat-like dataset loaded into PostgreSQL before the run (users, rooms, memberships, devices). */
    dataset: DatasetSchema.optional(),
    /** With a dataset: who is online. The workload's subscriber count is set from it. */
    online: OnlineSchema.default({ kind: 'one-per-room' }),
    /** WebSocket subscribers and publishers (k6 executors) — or `push`, a push-notification flood. */
    workload: WorkloadSchema.optional(),
    /** Enqueue K pushes at rate R through a push API (the reference relay, Centrifugo PRO, …); exact ledger. */
    push: PushFloodSchema.optional(),
    thresholds: ThresholdsSchema.prefault({}),
    results: ResultsOptionsSchema.prefault({}),
    /** Sharded runs (`run --shard i/n`): the clock-uncertainty bound. */
    distributed: DistributedSpecSchema.prefault({}),
  })
  .superRefine((scenario, ctx) => {
    if (!scenario.workload === !scenario.push) {
      ctx.addIssue({
        code: 'custom',
        path: [scenario.workload ? 'push' : 'workload'],
        message: scenario.workload
          ? 'give either workload (WebSocket subscribers and publishers) or push (a push flood), not both'
          : 'missing: give workload (WebSocket subscribers and publishers) or push (a push flood)',
      });
    }
  });

export const ScenarioSchema = z.preprocess(countFromDataset, ScenarioObjectSchema);

export type Scenario = z.output<typeof ScenarioSchema>;
type ScenarioObjectInput = z.input<typeof ScenarioObjectSchema>;
type WorkloadInput = NonNullable<ScenarioObjectInput['workload']>;
/** What a scenario file writes: as the schema's input, with `subscribers.count` optional (see countFromDataset). */
export type ScenarioInput = Omit<ScenarioObjectInput, 'workload'> & {
  workload?: Omit<WorkloadInput, 'subscribers'> & {
    subscribers: Omit<WorkloadInput['subscribers'], 'count'> & { count?: number };
  };
};

/** Identity at run time; at edit time it gives the scenario file types, completion and checking. */
export function defineScenario(scenario: ScenarioInput): ScenarioInput {
  return scenario;
}
