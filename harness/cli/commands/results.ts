import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { log } from '../../common/log.ts';
import { checkTargetUrls } from '../../common/loopback.ts';
import { resultsRoot } from '../../common/run-id.ts';
import { withoutPassword } from '../../common/urls.ts';
import { renderTerminalSummary } from '../../gate/index.ts';
import { listRuns, loadRunDir, resolveRunDir } from '../../results/clickhouse/index.ts';
import { mergeShardRuns } from '../../run/index.ts';
import { defaultClickHouseUrl } from '../../stack/index.ts';

interface ResultsOptions {
  clickhouseUrl?: string;
  allowRemoteTargets?: boolean;
  json?: boolean;
}

/**
 * --clickhouse-url, else $CENTRIFUGO_BENCH_CLICKHOUSE_URL, else the ClickHouse of the running `default` stack;
 * on loopback unless --allow-remote-targets (the same rule as every URL a run sends to).
 */
function clickhouseUrl(options: ResultsOptions): string | undefined {
  const url = options.clickhouseUrl || defaultClickHouseUrl();
  if (url) {
    const from = options.clickhouseUrl ? '--clickhouse-url' : '$CENTRIFUGO_BENCH_CLICKHOUSE_URL';
    checkTargetUrls([{ name: from, url }], Boolean(options.allowRemoteTargets), 'add --allow-remote-targets');
  }
  return url;
}

const URL_HELP =
  'ClickHouse HTTP URL, database in the path (default: $CENTRIFUGO_BENCH_CLICKHOUSE_URL, else the running stack)';
const ALLOW_REMOTE_HELP = 'let the ClickHouse URL be a non-loopback host (refused by default)';

/** `centrifugo-bench results load|list`: runs in ClickHouse, backfilled from their files. */
export function registerResults(program: Command): void {
  const results = program
    .command('results')
    .description('results: merge a sharded run; in ClickHouse: load runs from their files, list runs');

  results
    .command('merge')
    .description(
      'merge the shards of a distributed run (results/<run-id>/shards/<i>/) into one run folder; exits with its verdict',
    )
    .argument('<run-id>', 'the run id the shards shared')
    .option('--no-report', 'skip report.html')
    .option(
      '--clickhouse-url <url>',
      "also write the merged run's row and thresholds to this ClickHouse (the shards' rows: `results load <run-id>`)",
    )
    .option('--allow-remote-targets', ALLOW_REMOTE_HELP)
    .action(async (runId: string, options: ResultsOptions & { report: boolean }) => {
      // Only when asked: a merge is a file operation first.
      const url = options.clickhouseUrl ? clickhouseUrl(options) : undefined;
      const merged = await mergeShardRuns(runId, { report: options.report, clickhouseUrl: url });
      process.stdout.write(
        `merged shard(s) ${merged.merged.join(', ')} into ${merged.dir}\n` +
          `${renderTerminalSummary(merged.summary, { reportPath: merged.reportPath, color: Boolean(process.stdout.isTTY), verdict: merged.verdict })}\n`,
      );
      process.exitCode = merged.exitCode;
    });

  results
    .command('load')
    .description("load a run folder into ClickHouse (again): replaces the run's rows, so loading twice is safe")
    .argument('<run>', 'run id (a folder under the results directory) or the path of a run folder')
    .option('--clickhouse-url <url>', URL_HELP)
    .option('--allow-remote-targets', ALLOW_REMOTE_HELP)
    .option('--shard <shard>', 'shard of a distributed run (replaces only its rows)', '')
    .option('--json', 'print the result as JSON')
    .action(async (run: string, options: ResultsOptions & { shard: string }) => {
      const dir = resolveRunDir(run, resultsRoot());
      const url = clickhouseUrl(options);
      if (!url) {
        throw new UserError(
          'no ClickHouse to load into: give --clickhouse-url http://127.0.0.1:8123/bench ' +
            '(or set CENTRIFUGO_BENCH_CLICKHOUSE_URL, or start a stack with ClickHouse)',
        );
      }
      let result: Awaited<ReturnType<typeof loadRunDir>>;
      try {
        result = await loadRunDir(dir, url, { shard: options.shard });
      } catch (error) {
        if (error instanceof UserError) throw error;
        throw new UserError(
          `loading ${dir} into ClickHouse at ${withoutPassword(url)} failed: ${(error as Error).message}; ` +
            "the run's files are untouched — run the load again when ClickHouse is reachable",
          { cause: error },
        );
      }
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const total = Object.values(result.rows).reduce((a, b) => a + (b ?? 0), 0);
      const tables = Object.entries(result.rows)
        .map(([table, n]) => `${table} ${n}`)
        .join(', ');
      process.stdout.write(
        `loaded run ${result.runId} into ${result.database} at ${withoutPassword(url)}: ${total} rows (${tables})` +
          `${result.replacedRows ? `, replacing ${result.replacedRows} earlier rows` : ''} in ${result.ms} ms\n`,
      );
      if (result.warnings.length > 0) log.warn('results', `${result.warnings.length} warning(s) while loading`);
    });

  results
    .command('list')
    .description('list runs on disk and in ClickHouse')
    .option('--clickhouse-url <url>', URL_HELP)
    .option('--allow-remote-targets', ALLOW_REMOTE_HELP)
    .option('--json', 'print the list as JSON')
    .action(async (options: ResultsOptions) => {
      const url = clickhouseUrl(options);
      const { runs, clickhouseError } = await listRuns(resultsRoot(), url);
      if (clickhouseError && url) {
        log.warn(
          'results',
          `ClickHouse at ${withoutPassword(url)} is not reachable (${clickhouseError}); showing runs on disk`,
        );
      }
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ runs, clickhouseError }, null, 2)}\n`);
        return;
      }
      if (runs.length === 0) {
        process.stdout.write(`no runs under ${resultsRoot()}${url ? ' or in ClickHouse' : ''}\n`);
        return;
      }
      const rows = runs.map((r) => [
        r.runId,
        r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
        r.scenario,
        r.mode,
        r.verdict,
        r.dir ? 'yes' : '-',
        r.inClickHouse ? (r.source ?? 'yes') : url && !clickhouseError ? 'no' : '?',
      ]);
      const header = ['run', 'started', 'scenario', 'mode', 'verdict', 'files', 'clickhouse'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
      const line = (cells: string[]) =>
        `${cells
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`;
      process.stdout.write(line(header));
      for (const row of rows) process.stdout.write(line(row.map(String)));
    });
}
