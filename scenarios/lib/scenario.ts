/**
 * What a scenario file is: one typed definition, validated before anything starts. The schema is
 * assembled from the sections each part of the harness owns — the stack (harness/stack), the workload
 * (harness/engine), the thresholds (harness/gate) — so a section changes in one place only.
 *
 *   import { defineScenario } from './lib/scenario.ts';
 *   export default defineScenario({ name: 'smoke', stack: { engine: 'memory' }, workload: { … }, thresholds: { … } });
 */
import { z } from 'zod';
import { WorkloadSchema } from '../../harness/engine/workload.ts';
import { ThresholdsSchema } from '../../harness/gate/thresholds.ts';
import { StackSpecSchema } from '../../harness/stack/stack-spec.ts';

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

export const ScenarioSchema = z.strictObject({
  /** Short name, used in results and reports. */
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'use letters, digits, dot, dash or underscore'),
  description: z.string().optional(),
  stack: StackSpecSchema.prefault({}),
  workload: WorkloadSchema,
  thresholds: ThresholdsSchema.prefault({}),
  results: ResultsOptionsSchema.prefault({}),
});

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

/** Identity at run time; at edit time it gives the scenario file types, completion and checking. */
export function defineScenario(scenario: ScenarioInput): ScenarioInput {
  return scenario;
}
