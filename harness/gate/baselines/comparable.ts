/**
 * Refuses a comparison that would compare different things: a baseline of another scenario, publish
 * target, stack shape or workload (identity.ts), or one measured on another kind of machine. Each refusal
 * is a UserError (exit 2) naming every difference with both values.
 */
import { UserError } from '../../common/errors.ts';
import type { RunValues } from '../run-values.ts';
import {
  describeDifferences,
  type HostFingerprint,
  hostFingerprint,
  identityHash,
  type RunIdentity,
  runIdentity,
} from './identity.ts';

/** A baseline ready to compare with: its runs' values, and what they measured where. */
export interface StoredBaseline {
  /** The entry id, or the run id of a plain run directory. */
  id: string;
  /** null for a plain run directory without run.json (then only the scenario name can be checked). */
  identity: RunIdentity | null;
  hostFingerprint: HostFingerprint | null;
  runs: RunValues[];
  /** Where it came from, for messages: the entry's folder, or the run directory. */
  source: string;
}

export interface ComparableOptions {
  /** Accept a baseline measured on another kind of machine. */
  anyHost?: boolean;
}

const NOT_COMPARABLE_HINT =
  'compare runs of the same scenario as written, or record a baseline for this one with `baseline save`';

/** The candidates agree among themselves; returns their common identity and host (null when unknown). */
function candidateSide(candidate: readonly RunValues[]): {
  identity: RunIdentity | null;
  host: HostFingerprint | null;
} {
  const first = candidate[0];
  if (!first) throw new UserError('no runs to compare with the baseline');
  const identity = runIdentity(first.info);
  const host = hostFingerprint(first.info);
  for (const run of candidate.slice(1)) {
    const other = runIdentity(run.info);
    if (run.scenario !== first.scenario) {
      throw new UserError(
        `runs ${first.runId} and ${run.runId} are of different scenarios: ${first.scenario}, ${run.scenario}`,
      );
    }
    if (identity && other && identityHash(identity) !== identityHash(other)) {
      const differences = describeDifferences(identity, other, [`in ${first.runId}`, `in ${run.runId}`]);
      throw new UserError(`runs ${first.runId} and ${run.runId} measured different things: ${differences.join('; ')}`);
    }
  }
  return { identity, host };
}

/** Throws a UserError (exit 2) naming the difference when `candidate` cannot be judged against `baseline`. */
export function checkComparable(
  baseline: StoredBaseline,
  candidate: readonly RunValues[],
  options: ComparableOptions = {},
): void {
  const side = candidateSide(candidate);
  const baselineScenario = baseline.runs[0]?.scenario;
  const scenario = candidate[0]!.scenario;
  if (baselineScenario !== undefined && baselineScenario !== scenario) {
    throw new UserError(
      `baseline ${baseline.source} is of scenario ${JSON.stringify(baselineScenario)}, these runs of ${JSON.stringify(scenario)}: ${NOT_COMPARABLE_HINT}`,
    );
  }
  if (baseline.identity && side.identity && identityHash(baseline.identity) !== identityHash(side.identity)) {
    const differences = describeDifferences(baseline.identity, side.identity);
    throw new UserError(
      `baseline ${baseline.source} measured something else than these runs — ${differences.join('; ')}: ${NOT_COMPARABLE_HINT}`,
      { details: differences },
    );
  }
  if (!options.anyHost && baseline.hostFingerprint && side.host) {
    const differences = describeDifferences(baseline.hostFingerprint, side.host);
    if (differences.length) {
      throw new UserError(
        `baseline ${baseline.source} was measured on another kind of machine — ${differences.join('; ')}: ` +
          'latency and throughput from another machine are not comparable (a different CPU or core count moves ' +
          'them more than most regressions); record a baseline on this kind of runner, or pass --any-host to compare anyway',
      );
    }
  }
}
