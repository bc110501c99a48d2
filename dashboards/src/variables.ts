import type { VariableModel } from '@grafana/schema';
import { queryVariable } from '../lib/grafana.ts';
import { EVENTS_ANNOTATION_SQL, MODE_VARIABLE_SQL, RUN_VARIABLE_SQL } from '../lib/sql.ts';

/** `mode` (broadcast mode, multi) then `run` (runs of those modes in the time range). */
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
  ];
}

export const ANNOTATIONS = EVENTS_ANNOTATION_SQL;
