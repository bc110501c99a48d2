/** Fixtures for the gate's tests. */
import type { RunValues } from './run-values.ts';

/** A run as a comparison sees it: valid, no threshold failed, no values, unless told otherwise. */
export function sampleRunValues(runId: string, overrides: Partial<RunValues> = {}): RunValues {
  return {
    runId,
    dir: null,
    startedAt: '2026-12-04T12:00:00.000Z',
    scenario: 'fanout-smoke',
    valid: true,
    invalidReasons: [],
    failedThresholds: [],
    values: {},
    info: null,
    ...overrides,
  };
}
