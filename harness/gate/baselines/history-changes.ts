/**
 * Where a baseline's history shifted: E-divisive means (e-divisive.ts) per metric over the entries'
 * medians, in save order, naming the first entry of each new regime (its id, date and git commit).
 * On the log scale, so a shift is a ratio whatever the metric's size, as in the comparison.
 */
import path from 'node:path';
import { UserError } from '../../common/errors.ts';
import { RUN_METRICS } from '../run-values.ts';
import { type EDivisiveOptions, eDivisive } from './e-divisive.ts';
import {
  type BaselineEntry,
  DEFAULT_BASELINES_DIR,
  readCurrent,
  readHistory,
  resolveBaselineFolder,
  type StoreOptions,
} from './store.ts';

/** Fewer entries than this say little about regimes (two segments of at least 3, and some slack). */
export const MIN_HISTORY_FOR_CHANGES = 8;

export interface HistoryChange {
  metric: string;
  /** The first entry of the new regime. */
  entryId: string;
  savedAt: string;
  gitCommit: string | null;
  pValue: number;
  /** The metric's median over the entries of the regime before, and of the one that began here. */
  before: number;
  after: number;
  /** after / before − 1: +0.15 is 15 % higher. */
  change: number;
}

/** Change points per metric, by metric then entry order; none with fewer than MIN_HISTORY_FOR_CHANGES entries. */
export function historyChanges(entries: readonly BaselineEntry[], options: EDivisiveOptions = {}): HistoryChange[] {
  const metrics = [
    ...new Set([...RUN_METRICS.map((spec) => spec.id), ...entries.flatMap((e) => Object.keys(e.medians))]),
  ];
  const changes: HistoryChange[] = [];
  for (const metric of metrics) {
    const withValue = entries.filter((entry) => {
      const value = entry.medians[metric];
      return typeof value === 'number' && value > 0;
    });
    if (withValue.length < MIN_HISTORY_FOR_CHANGES) continue;
    const series = withValue.map((entry) => Math.log(entry.medians[metric]!));
    for (const point of eDivisive(series, options)) {
      const entry = withValue[point.index]!;
      const before = Math.exp(point.before);
      const after = Math.exp(point.after);
      changes.push({
        metric,
        entryId: entry.id,
        savedAt: entry.savedAt,
        gitCommit: entry.git.commit,
        pValue: point.pValue,
        before,
        after,
        change: after / before - 1,
      });
    }
  }
  return changes;
}

export interface BaselineInspection {
  folder: string;
  current: BaselineEntry | null;
  /** Oldest first. */
  history: BaselineEntry[];
  /** Empty with fewer than MIN_HISTORY_FOR_CHANGES entries. */
  changes: HistoryChange[];
}

/** `baseline show`: the current entry, the history and its change points, for `<scenario>[/<name>]` or a folder. */
export async function inspectBaseline(ref: string, options: StoreOptions = {}): Promise<BaselineInspection> {
  const folder = await resolveBaselineFolder(ref, options);
  if (!folder) {
    throw new UserError(
      `no baseline ${ref} under ${path.resolve(options.dir ?? DEFAULT_BASELINES_DIR)}: \`baseline list\` shows the saved ones`,
    );
  }
  const history = await readHistory(folder);
  return { folder, current: await readCurrent(folder), history, changes: historyChanges(history) };
}
