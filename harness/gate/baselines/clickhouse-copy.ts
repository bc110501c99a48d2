/**
 * A baseline's copy in ClickHouse (the `baseline_entries` table, harness/results/clickhouse/baseline-rows.ts),
 * for teams that chart or query their baselines beside their runs, and for a CI job without the repository's
 * baselines folder (`baseline show --from clickhouse`). The files stay the record: the copy is written after
 * them, and a ClickHouse failure is the caller's warning, never a failed save.
 *
 * The copy catches up rather than appends: every save or promote writes the entries of that baseline's
 * history that ClickHouse lacks (oldest first), then a `promoted` row if ClickHouse's current entry is not the
 * files' — so an entry saved while ClickHouse was down arrives with the next save or promote.
 */
import path from 'node:path';
import { UserError } from '../../common/errors.ts';
import {
  type BaselineHistoryInClickHouse,
  baselineHistoriesInClickHouse,
  type ResultsTarget,
  writeBaselineEvents,
} from '../../results/clickhouse/index.ts';
import { type BaselineInspection, historyChanges } from './history-changes.ts';
import { type BaselineEntry, type BaselineListing, DEFAULT_BASELINE_NAME, readCurrent, readHistory } from './store.ts';

export interface ClickHouseCopyResult {
  /** `saved` rows written: the new entry, plus any the files had and ClickHouse lacked. */
  savedRows: number;
  /** Whether a `promoted` row was written (ClickHouse's current entry was not the files'). */
  promoted: boolean;
}

/** Brings ClickHouse's copy of the baseline in `folder` up to its files. Throws when ClickHouse fails. */
export async function copyBaselineToClickHouse(folder: string, target: ResultsTarget): Promise<ClickHouseCopyResult> {
  const history = await readHistory(folder);
  const current = await readCurrent(folder);
  const first = history[0];
  if (!first) return { savedRows: 0, promoted: false };
  const key = { scenario: first.scenario, name: first.name };
  const inClickHouse = new Set((await baselineHistoriesInClickHouse(target, key))[0]?.entryIds ?? []);
  const missing = history.flatMap((entry, historyIndex) =>
    inClickHouse.has(entry.id) ? [] : [{ entry, historyIndex }],
  );
  // Dated when they were saved, however late the copy arrives; history_index keeps the files' order.
  await writeBaselineEvents(
    target,
    missing.map(({ entry, historyIndex }) => ({
      entry,
      event: 'saved',
      madeCurrent: entry.id === current?.id,
      at: new Date(entry.savedAt),
      historyIndex,
    })),
  );
  const currentInClickHouse = (await baselineHistoriesInClickHouse(target, key))[0]?.currentId ?? null;
  const promoted = current !== null && currentInClickHouse !== current.id;
  if (promoted) {
    // A current.json edited by hand may name an entry its history lacks: it still becomes current.
    const historyIndex = Math.max(
      0,
      history.findIndex((entry) => entry.id === current.id),
    );
    await writeBaselineEvents(target, [
      { entry: current, event: 'promoted', madeCurrent: true, at: new Date(), historyIndex },
    ]);
  }
  return { savedRows: missing.length, promoted };
}

/** Whether ClickHouse holds the same history as the files, for one baseline. */
export interface ClickHouseAgreement {
  /** Entries ClickHouse holds for this baseline. */
  entries: number;
  missingInClickHouse: string[];
  onlyInClickHouse: string[];
  currentInClickHouse: string | null;
  /** Same entries and the same current entry. */
  same: boolean;
}

export function agreementOf(
  files: { entryIds: readonly string[]; currentId: string | null },
  clickhouse: BaselineHistoryInClickHouse | undefined,
): ClickHouseAgreement {
  const there = clickhouse?.entryIds ?? [];
  const missingInClickHouse = files.entryIds.filter((id) => !there.includes(id));
  const onlyInClickHouse = there.filter((id) => !files.entryIds.includes(id));
  const currentInClickHouse = clickhouse?.currentId ?? null;
  return {
    entries: there.length,
    missingInClickHouse,
    onlyInClickHouse,
    currentInClickHouse,
    same: !missingInClickHouse.length && !onlyInClickHouse.length && currentInClickHouse === files.currentId,
  };
}

export interface ListingsAgreement {
  /** Keyed `<scenario>/<name>`, for every listing. */
  byBaseline: Map<string, ClickHouseAgreement>;
  /** Baselines ClickHouse holds that the folder does not (every entry of theirs is `onlyInClickHouse`). */
  onlyInClickHouse: Array<{ scenario: string; name: string; agreement: ClickHouseAgreement }>;
}

/** `baseline list` with ClickHouse: each listed baseline's agreement, and the baselines only ClickHouse has. */
export async function compareListingsWithClickHouse(
  listings: readonly BaselineListing[],
  target: ResultsTarget,
): Promise<ListingsAgreement> {
  const histories = await baselineHistoriesInClickHouse(target);
  const byKey = new Map(histories.map((h) => [`${h.scenario}/${h.name}`, h]));
  const byBaseline = new Map<string, ClickHouseAgreement>();
  for (const listing of listings) {
    const key = `${listing.scenario}/${listing.name}`;
    const entryIds = (await readHistory(listing.folder)).map((entry) => entry.id);
    byBaseline.set(key, agreementOf({ entryIds, currentId: listing.current?.id ?? null }, byKey.get(key)));
  }
  const onlyInClickHouse = histories
    .filter((h) => !byBaseline.has(`${h.scenario}/${h.name}`))
    .map((h) => ({ scenario: h.scenario, name: h.name, agreement: agreementOf({ entryIds: [], currentId: null }, h) }));
  return { byBaseline, onlyInClickHouse };
}

/** `baseline show` with ClickHouse: this baseline's agreement. */
export async function compareInspectionWithClickHouse(
  inspection: BaselineInspection,
  target: ResultsTarget,
): Promise<ClickHouseAgreement> {
  const first = inspection.history[0];
  const files = { entryIds: inspection.history.map((e) => e.id), currentId: inspection.current?.id ?? null };
  if (!first) return agreementOf(files, undefined);
  const [history] = await baselineHistoriesInClickHouse(target, { scenario: first.scenario, name: first.name });
  return agreementOf(files, history);
}

/**
 * `baseline show --from clickhouse`: the history as ClickHouse holds it, for `<scenario>[/<name>]` (a scenario
 * alone means its `default` baseline, or its only one). `source` names the database in the output.
 */
export async function inspectBaselineInClickHouse(
  ref: string,
  target: ResultsTarget,
  source: string,
): Promise<BaselineInspection> {
  const [scenario, name, ...rest] = ref.split('/');
  if (!scenario || rest.length || path.isAbsolute(ref)) {
    throw new UserError(`--from clickhouse takes <scenario>[/<name>], not a folder: got ${ref}`);
  }
  const histories = await baselineHistoriesInClickHouse(target, { scenario, ...(name ? { name } : {}) });
  const chosen = name
    ? histories[0]
    : (histories.find((h) => h.name === DEFAULT_BASELINE_NAME) ?? (histories.length === 1 ? histories[0] : undefined));
  if (!chosen) {
    throw new UserError(
      histories.length > 1
        ? `${ref} holds several baselines in ClickHouse (${histories.map((h) => h.name).join(', ')}): name one, e.g. ${scenario}/${histories[0]!.name}`
        : `no baseline ${ref} in ClickHouse at ${source}: \`baseline list\` shows the saved ones`,
    );
  }
  const history = chosen.entries as BaselineEntry[];
  return {
    folder: `ClickHouse ${source}`,
    current: history.find((entry) => entry.id === chosen.currentId) ?? null,
    history,
    changes: historyChanges(history),
  };
}
