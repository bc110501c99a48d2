import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { formatMs, formatPercentChange, formatPerSecond, formatPValue, NO_DATA } from '../../common/format.ts';
import { log } from '../../common/log.ts';
import { checkTargetUrls } from '../../common/loopback.ts';
import { withoutPassword } from '../../common/urls.ts';
import {
  type BaselineEntry,
  type ClickHouseAgreement,
  compareInspectionWithClickHouse,
  compareListingsWithClickHouse,
  copyBaselineToClickHouse,
  DEFAULT_BASELINES_DIR,
  inspectBaseline,
  inspectBaselineInClickHouse,
  listBaselines,
  MIN_HISTORY_FOR_CHANGES,
  promoteEntry,
  RUN_METRICS,
  saveBaseline,
} from '../../gate/index.ts';
import { parseClickHouseUrl } from '../../results/clickhouse/index.ts';

export interface BaselineStoreFlags {
  dir?: string;
  json?: boolean;
  /** Also copy to / compare with ClickHouse (else $CENTRIFUGO_BENCH_CLICKHOUSE_URL; see configuredClickHouse). */
  clickhouseUrl?: string;
  allowRemoteTargets?: boolean;
}

export interface BaselineShowFlags extends BaselineStoreFlags {
  /** `files` (default) or `clickhouse`. */
  from?: string;
}

export interface BaselineSaveFlags extends BaselineStoreFlags {
  name?: string;
  /** commander's `--no-promote` sets this to false. */
  promote?: boolean;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `${cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()}\n`;
  return line(header) + rows.map(line).join('');
}

function formatValue(metricId: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return NO_DATA;
  return RUN_METRICS.find((spec) => spec.id === metricId)?.unit === '/s' ? formatPerSecond(value) : formatMs(value);
}

const shortCommit = (commit: string | null) => (commit ? commit.slice(0, 10) : NO_DATA);
const shortDate = (iso: string) => iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z');

/** Metrics with a value in any of the entries, in RUN_METRICS order. */
function metricsIn(entries: readonly BaselineEntry[]): string[] {
  return RUN_METRICS.map((spec) => spec.id).filter((id) =>
    entries.some((entry) => typeof entry.medians[id] === 'number'),
  );
}

/**
 * The ClickHouse to copy to / compare with: --clickhouse-url, else $CENTRIFUGO_BENCH_CLICKHOUSE_URL — as
 * `results load|list` resolve it, but without their last fallback (a running `default` stack's ClickHouse):
 * that one is deleted with the stack, no place for a history, and a save should not write to it unasked.
 * On loopback unless --allow-remote-targets. A URL that is not one, or not allowed, is bad input (exit 2),
 * refused before any file is written; ClickHouse failing later is not.
 */
function configuredClickHouse(flags: BaselineStoreFlags): string | undefined {
  const url = flags.clickhouseUrl || process.env.CENTRIFUGO_BENCH_CLICKHOUSE_URL;
  if (!url) return undefined;
  const from = flags.clickhouseUrl ? '--clickhouse-url' : '$CENTRIFUGO_BENCH_CLICKHOUSE_URL';
  checkTargetUrls([{ name: from, url }], Boolean(flags.allowRemoteTargets), 'add --allow-remote-targets');
  parseClickHouseUrl(url);
  return url;
}

/** An error as one line: ClickHouse's messages may span several. */
const oneLine = (error: unknown) => (error as Error).message.replace(/\s+/g, ' ').trim();

/**
 * After the files are written: brings ClickHouse's copy of the baseline up to them. A failure is one warning
 * line, never a failed command — the files are the record, and the next save or promote copies what is missing.
 */
async function copyToClickHouse(
  folder: string,
  url: string | undefined,
): Promise<{ url: string; savedRows: number; promoted: boolean } | { url: string; error: string } | null> {
  if (!url) return null;
  const label = withoutPassword(url);
  try {
    return { url: label, ...(await copyBaselineToClickHouse(folder, url)) };
  } catch (error) {
    const message = oneLine(error);
    log.warn(
      'baseline',
      `not copied to ClickHouse at ${label} (${message}); the baseline is saved in its files — the next save or promote copies what ClickHouse lacks`,
    );
    return { url: label, error: message };
  }
}

function describeCopy(copy: Awaited<ReturnType<typeof copyToClickHouse>>): string {
  if (!copy || 'error' in copy) return '';
  const rows = copy.savedRows + (copy.promoted ? 1 : 0);
  return `  copied to ClickHouse at ${copy.url}: ${rows} row(s)${copy.savedRows > 1 ? ` (${copy.savedRows - 1} earlier entr${copy.savedRows > 2 ? 'ies' : 'y'} it lacked)` : ''}\n`;
}

/** One cell for `baseline list`: `same (n)` or what differs. */
function agreementCell(agreement: ClickHouseAgreement | undefined): string {
  if (!agreement) return NO_DATA;
  if (agreement.same) return `same (${agreement.entries})`;
  const parts = [`${agreement.entries} entries`];
  if (agreement.missingInClickHouse.length) parts.push(`${agreement.missingInClickHouse.length} missing`);
  if (agreement.onlyInClickHouse.length) parts.push(`${agreement.onlyInClickHouse.length} only there`);
  if (!agreement.missingInClickHouse.length && !agreement.onlyInClickHouse.length) parts.push('current differs');
  return parts.join(', ');
}

/** The lines naming what differs between the files and ClickHouse for one baseline. */
function agreementDetails(agreement: ClickHouseAgreement, currentId: string | null): string[] {
  const lines: string[] = [];
  if (agreement.missingInClickHouse.length)
    lines.push(`missing in ClickHouse: ${agreement.missingInClickHouse.join(', ')}`);
  if (agreement.onlyInClickHouse.length) lines.push(`only in ClickHouse: ${agreement.onlyInClickHouse.join(', ')}`);
  if (agreement.currentInClickHouse !== currentId)
    lines.push(
      `current in ClickHouse: ${agreement.currentInClickHouse ?? NO_DATA}, in the files: ${currentId ?? NO_DATA}`,
    );
  return lines;
}

/** `baseline save`: what the command prints. */
export async function baselineSave(runDirs: string[], flags: BaselineSaveFlags = {}): Promise<string> {
  const url = configuredClickHouse(flags);
  // Files first: the save is done (or refused) before ClickHouse is asked anything.
  const result = await saveBaseline(runDirs, { dir: flags.dir, name: flags.name, promote: flags.promote });
  const clickhouse = await copyToClickHouse(result.folder, url);
  if (flags.json) return `${JSON.stringify({ ...result, ...(clickhouse ? { clickhouse } : {}) }, null, 2)}\n`;
  const { entry } = result;
  return (
    `saved ${entry.scenario}/${entry.name} entry ${entry.id}: ${entry.runs.length} run(s), identity ${entry.identityHash}, ` +
    `commit ${shortCommit(entry.git.commit)}${result.current ? ' — now current' : ' — in history (promote it with `baseline promote ' + entry.id + '`)'}\n` +
    `  ${result.folder}\n${describeCopy(clickhouse)}`
  );
}

/** `baseline list`. */
export async function baselineList(flags: BaselineStoreFlags = {}): Promise<string> {
  const url = configuredClickHouse(flags);
  const listings = await listBaselines({ dir: flags.dir });
  let agreement: Awaited<ReturnType<typeof compareListingsWithClickHouse>> | null = null;
  if (url) {
    try {
      agreement = await compareListingsWithClickHouse(listings, url);
    } catch (error) {
      log.warn(
        'baseline',
        `ClickHouse at ${withoutPassword(url)} is not reachable (${oneLine(error)}); listing the files only`,
      );
    }
  }
  if (flags.json) {
    // The same list as without ClickHouse, each baseline with its `clickhouse` agreement, then those only there.
    const json = agreement
      ? [
          ...listings.map((l) => ({ ...l, clickhouse: agreement.byBaseline.get(`${l.scenario}/${l.name}`) })),
          ...agreement.onlyInClickHouse.map((b) => ({
            scenario: b.scenario,
            name: b.name,
            folder: null,
            entries: 0,
            current: null,
            clickhouse: b.agreement,
          })),
        ]
      : listings;
    return `${JSON.stringify(json, null, 2)}\n`;
  }
  if (!listings.length && !agreement?.onlyInClickHouse.length)
    return `no baselines under ${flags.dir ?? DEFAULT_BASELINES_DIR} (save one with \`baseline save <run-dir...>\`)\n`;
  const out = [
    table(
      ['baseline', 'entries', 'current', 'identity', 'saved', 'commit', ...(agreement ? ['clickhouse'] : [])],
      listings.map((l) => [
        `${l.scenario}/${l.name}`,
        String(l.entries),
        l.current?.id ?? NO_DATA,
        l.current?.identityHash ?? NO_DATA,
        l.current ? shortDate(l.current.savedAt) : NO_DATA,
        shortCommit(l.current?.git.commit ?? null),
        ...(agreement ? [agreementCell(agreement.byBaseline.get(`${l.scenario}/${l.name}`))] : []),
      ]),
    ),
  ];
  if (agreement) {
    for (const l of listings) {
      const details = agreementDetails(agreement.byBaseline.get(`${l.scenario}/${l.name}`)!, l.current?.id ?? null);
      for (const line of details) out.push(`  ${l.scenario}/${l.name}: ${line}\n`);
    }
    for (const only of agreement.onlyInClickHouse) {
      out.push(
        `  ${only.scenario}/${only.name}: only in ClickHouse (${only.agreement.entries} entries; \`baseline show ${only.scenario}/${only.name} --from clickhouse\`)\n`,
      );
    }
  }
  return out.join('');
}

/** `baseline show <scenario>[/<name>]`: the current entry's runs, the history, and where it shifted. */
export async function baselineShow(ref: string, flags: BaselineShowFlags = {}): Promise<string> {
  const from = flags.from ?? 'files';
  if (from !== 'files' && from !== 'clickhouse') throw new UserError(`--from ${from}: use files or clickhouse`);
  const url = configuredClickHouse(flags);
  if (from === 'clickhouse' && !url) {
    throw new UserError(
      '--from clickhouse: no ClickHouse configured; give --clickhouse-url http://127.0.0.1:8123/bench (or set CENTRIFUGO_BENCH_CLICKHOUSE_URL)',
    );
  }
  let inspection: Awaited<ReturnType<typeof inspectBaseline>>;
  let agreement: ClickHouseAgreement | null = null;
  if (from === 'clickhouse') {
    try {
      inspection = await inspectBaselineInClickHouse(ref, url!, withoutPassword(url!));
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(
        `reading baseline ${ref} from ClickHouse at ${withoutPassword(url!)} failed: ${oneLine(error)}`,
        {
          cause: error,
        },
      );
    }
  } else {
    inspection = await inspectBaseline(ref, { dir: flags.dir });
    if (url) {
      try {
        agreement = await compareInspectionWithClickHouse(inspection, url);
      } catch (error) {
        log.warn(
          'baseline',
          `ClickHouse at ${withoutPassword(url)} is not reachable (${oneLine(error)}); showing the files only`,
        );
      }
    }
  }
  if (flags.json)
    return `${JSON.stringify(agreement ? { ...inspection, clickhouse: agreement } : inspection, null, 2)}\n`;
  const { current, history, changes } = inspection;
  const out: string[] = [`baseline ${ref}  (${inspection.folder})\n`];
  if (current) {
    const host = current.host;
    out.push(
      `\ncurrent: ${current.id}, saved ${shortDate(current.savedAt)}, commit ${shortCommit(current.git.commit)}, ` +
        `harness ${current.harnessVersion}, identity ${current.identityHash}\n`,
      `  host: ${host.cpuModel}, ${host.cores} cores, ${host.memoryGiB} GiB, ${host.platform}/${host.arch}\n`,
      `  versions: ${
        Object.entries(current.versions)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || NO_DATA
      }\n\n`,
    );
    const metrics = metricsIn([current]);
    out.push(
      table(
        ['metric', 'median', ...current.runs.map((run) => run.runId)],
        metrics.map((id) => [
          id,
          formatValue(id, current.medians[id]),
          ...current.runs.map((run) => formatValue(id, run.values[id])),
        ]),
      ),
    );
  } else {
    out.push('\nno current entry: promote one with `baseline promote <entry-id>`\n');
  }
  const metrics = metricsIn(history);
  out.push(`\nhistory (${history.length} entries, oldest first):\n`);
  out.push(
    table(
      ['entry', 'saved', 'commit', 'runs', ...metrics],
      history.map((entry) => [
        `${entry.id}${entry.id === current?.id ? ' *' : ''}`,
        shortDate(entry.savedAt),
        shortCommit(entry.git.commit),
        String(entry.runs.length),
        ...metrics.map((id) => formatValue(id, entry.medians[id])),
      ]),
    ),
  );
  if (history.length < MIN_HISTORY_FOR_CHANGES) {
    out.push(`\nchange points: need ${MIN_HISTORY_FOR_CHANGES} entries or more (${history.length} so far)\n`);
  } else if (!changes.length) {
    out.push('\nchange points: none — no shift in any metric across the history (E-divisive means)\n');
  } else {
    out.push("\nchange points (E-divisive means over the entries' medians; the shift began at the entry named):\n");
    out.push(
      table(
        ['metric', 'from entry', 'saved', 'commit', 'before', 'after', 'change', 'p'],
        changes.map((change) => [
          change.metric,
          change.entryId,
          shortDate(change.savedAt),
          shortCommit(change.gitCommit),
          formatValue(change.metric, change.before),
          formatValue(change.metric, change.after),
          formatPercentChange(change.change),
          formatPValue(change.pValue),
        ]),
      ),
    );
  }
  if (agreement) {
    const details = agreementDetails(agreement, current?.id ?? null);
    out.push(
      details.length
        ? `\nClickHouse (${withoutPassword(url!)}): ${agreement.entries} entries; ${details.join('; ')}\n`
        : `\nClickHouse (${withoutPassword(url!)}): the same history (${agreement.entries} entries, current ${current?.id ?? NO_DATA})\n`,
    );
  }
  return out.join('');
}

/** `baseline promote <entry-id>`. */
export async function baselinePromote(entryId: string, flags: BaselineStoreFlags = {}): Promise<string> {
  const url = configuredClickHouse(flags);
  const result = await promoteEntry(entryId, { dir: flags.dir });
  const clickhouse = await copyToClickHouse(result.folder, url);
  if (flags.json) return `${JSON.stringify({ ...result, ...(clickhouse ? { clickhouse } : {}) }, null, 2)}\n`;
  return `${result.entry.scenario}/${result.entry.name}: entry ${entryId} (saved ${shortDate(result.entry.savedAt)}, commit ${shortCommit(result.entry.git.commit)}) is now current\n${describeCopy(clickhouse)}`;
}

const DIR_HELP = `the baselines folder, committed with the repository (default ${DEFAULT_BASELINES_DIR})`;
const URL_HELP =
  'ClickHouse HTTP URL, database in the path, to keep a copy of the baselines in (default: $CENTRIFUGO_BENCH_CLICKHOUSE_URL); the files stay the record';
const ALLOW_REMOTE_HELP = 'let the ClickHouse URL be a non-loopback host (refused by default)';

/** `centrifugo-bench baseline save|list|show|promote`: baselines with history, as files a team commits. */
export function registerBaseline(program: Command): void {
  const baseline = program
    .command('baseline')
    .description(
      'baselines with history: save k runs of a build as an entry, list, show (history and change points), promote; files under baselines/<scenario>/<name>/',
    );

  baseline
    .command('save')
    .description(
      'save runs (one build, one scenario, one kind of machine; all valid) as a new entry of the baseline; it becomes current unless --no-promote',
    )
    .argument('<run-dir...>', 'run directories, results/<run-id>')
    .option('--name <name>', 'the baseline name within the scenario, e.g. main or release-6', 'default')
    .option('--dir <dir>', DIR_HELP)
    .option('--clickhouse-url <url>', URL_HELP)
    .option('--allow-remote-targets', ALLOW_REMOTE_HELP)
    .option('--no-promote', 'append to the history only; the current entry stays')
    .option('--json', 'print the saved entry as JSON')
    .action(async (runDirs: string[], flags: BaselineSaveFlags) => {
      process.stdout.write(await baselineSave(runDirs, flags));
    });

  baseline
    .command('list')
    .description('every saved baseline: entries, current entry, identity hash, date')
    .option('--dir <dir>', DIR_HELP)
    .option('--clickhouse-url <url>', URL_HELP)
    .option('--allow-remote-targets', ALLOW_REMOTE_HELP)
    .option('--json', 'print the list as JSON')
    .action(async (flags: BaselineStoreFlags) => {
      process.stdout.write(await baselineList(flags));
    });

  baseline
    .command('show')
    .description(
      `the current entry (runs and medians per metric), the history, and with ${MIN_HISTORY_FOR_CHANGES}+ entries the change points per metric`,
    )
    .argument('<baseline>', '<scenario>[/<name>] under --dir, or a baseline folder')
    .option('--dir <dir>', DIR_HELP)
    .option('--clickhouse-url <url>', URL_HELP)
    .option('--allow-remote-targets', ALLOW_REMOTE_HELP)
    .option(
      '--from <source>',
      'files (default), or clickhouse: read the history from ClickHouse (no baselines folder needed)',
      'files',
    )
    .option('--json', 'print current entry, history and change points as JSON')
    .action(async (ref: string, flags: BaselineShowFlags) => {
      process.stdout.write(await baselineShow(ref, flags));
    });

  baseline
    .command('promote')
    .description('make an entry of a history the current baseline (e.g. after a reviewed, accepted change)')
    .argument('<entry-id>', 'the entry id, as `baseline show` lists it')
    .option('--dir <dir>', DIR_HELP)
    .option('--clickhouse-url <url>', URL_HELP)
    .option('--allow-remote-targets', ALLOW_REMOTE_HELP)
    .option('--json', 'print the promoted entry as JSON')
    .action(async (entryId: string, flags: BaselineStoreFlags) => {
      process.stdout.write(await baselinePromote(entryId, flags));
    });
}
