import type { VariableModel } from '@grafana/schema';
import { queryVariable } from '../lib/grafana.ts';
import { EVENTS_ANNOTATION_SQL, MODE_VARIABLE_SQL, RUN_VARIABLE_SQL, SHARD_VARIABLE_SQL } from '../lib/sql.ts';

/**
 * `mode` (broadcast mode, multi), then `run` (runs of those modes in the time range), then `shard` (shards of
 * those runs, multi; All = every shard, the merged view).
 */
export function runVariables(options: { multiRun: boolean }): VariableModel[] {
  return [
    queryVariable({ name: 'mode', label: 'Broadcast mode', sql: MODE_VARIABLE_SQL, multi: true, includeAll: true }),
    queryVariable({
      name: 'run',
      label: 'Run',
      sql: RUN_VARIABLE_SQL,
      multi: options.multiRun,
      includeAll: options.multiRun,
    }),
    queryVariable({ name: 'shard', label: 'Shard', sql: SHARD_VARIABLE_SQL, multi: true, includeAll: true }),
  ];
}

export const ANNOTATIONS = EVENTS_ANNOTATION_SQL;

/** Description of a panel that reads the `runs` row: a sharded run's is the merged one, whatever `shard` says. */
export const MERGED_RUN = 'The whole run (a sharded run: all shards merged); the shard filter does not apply.';
