import type { Command } from 'commander';
import { formatMs, formatPercentChange, formatPerSecond, formatPValue, NO_DATA } from '../../common/format.ts';
import {
  type BaselineEntry,
  DEFAULT_BASELINES_DIR,
  inspectBaseline,
  listBaselines,
  MIN_HISTORY_FOR_CHANGES,
  promoteEntry,
  RUN_METRICS,
  saveBaseline,
} from '../../gate/index.ts';

export interface BaselineStoreFlags {
  dir?: string;
  json?: boolean;
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

/** `baseline save`: what the command prints. */
export async function baselineSave(runDirs: string[], flags: BaselineSaveFlags = {}): Promise<string> {
  const result = await saveBaseline(runDirs, { dir: flags.dir, name: flags.name, promote: flags.promote });
  if (flags.json) return `${JSON.stringify(result, null, 2)}\n`;
  const { entry } = result;
  return (
    `saved ${entry.scenario}/${entry.name} entry ${entry.id}: ${entry.runs.length} run(s), identity ${entry.identityHash}, ` +
    `commit ${shortCommit(entry.git.commit)}${result.current ? ' — now current' : ' — in history (promote it with `baseline promote ' + entry.id + '`)'}\n` +
    `  ${result.folder}\n`
  );
}

/** `baseline list`. */
export async function baselineList(flags: BaselineStoreFlags = {}): Promise<string> {
  const listings = await listBaselines({ dir: flags.dir });
  if (flags.json) return `${JSON.stringify(listings, null, 2)}\n`;
  if (!listings.length)
    return `no baselines under ${flags.dir ?? DEFAULT_BASELINES_DIR} (save one with \`baseline save <run-dir...>\`)\n`;
  return table(
    ['baseline', 'entries', 'current', 'identity', 'saved', 'commit'],
    listings.map((l) => [
      `${l.scenario}/${l.name}`,
      String(l.entries),
      l.current?.id ?? NO_DATA,
      l.current?.identityHash ?? NO_DATA,
      l.current ? shortDate(l.current.savedAt) : NO_DATA,
      shortCommit(l.current?.git.commit ?? null),
    ]),
  );
}

/** `baseline show <scenario>[/<name>]`: the current entry's runs, the history, and where it shifted. */
export async function baselineShow(ref: string, flags: BaselineStoreFlags = {}): Promise<string> {
  const inspection = await inspectBaseline(ref, { dir: flags.dir });
  if (flags.json) return `${JSON.stringify(inspection, null, 2)}\n`;
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
  return out.join('');
}

/** `baseline promote <entry-id>`. */
export async function baselinePromote(entryId: string, flags: BaselineStoreFlags = {}): Promise<string> {
  const result = await promoteEntry(entryId, { dir: flags.dir });
  if (flags.json) return `${JSON.stringify(result, null, 2)}\n`;
  return `${result.entry.scenario}/${result.entry.name}: entry ${entryId} (saved ${shortDate(result.entry.savedAt)}, commit ${shortCommit(result.entry.git.commit)}) is now current\n`;
}

const DIR_HELP = `the baselines folder, committed with the repository (default ${DEFAULT_BASELINES_DIR})`;

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
    .option('--no-promote', 'append to the history only; the current entry stays')
    .option('--json', 'print the saved entry as JSON')
    .action(async (runDirs: string[], flags: BaselineSaveFlags) => {
      process.stdout.write(await baselineSave(runDirs, flags));
    });

  baseline
    .command('list')
    .description('every saved baseline: entries, current entry, identity hash, date')
    .option('--dir <dir>', DIR_HELP)
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
    .option('--json', 'print current entry, history and change points as JSON')
    .action(async (ref: string, flags: BaselineStoreFlags) => {
      process.stdout.write(await baselineShow(ref, flags));
    });

  baseline
    .command('promote')
    .description('make an entry of a history the current baseline (e.g. after a reviewed, accepted change)')
    .argument('<entry-id>', 'the entry id, as `baseline show` lists it')
    .option('--dir <dir>', DIR_HELP)
    .option('--json', 'print the promoted entry as JSON')
    .action(async (entryId: string, flags: BaselineStoreFlags) => {
      process.stdout.write(await baselinePromote(entryId, flags));
    });
}
