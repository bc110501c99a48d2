import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { ExitCode } from '../../common/exit-codes.ts';
import { log } from '../../common/log.ts';
import { newRunId, resultsRoot } from '../../common/run-id.ts';
import type { TimeseriesPoint } from '../../common/summary-types.ts';
import { readTimeseries } from '../../results/files/index.ts';
import { renderComparisonReport } from '../../results/report/index.ts';
import { type CommandContext, collect } from '../command-context.ts';
import {
  type CellResult,
  cellOverrides,
  planCells,
  recoverySeconds,
  renderMarkdownTable,
  renderTextTable,
  tableRows,
} from '../compare-matrix.ts';
import { executeScenario } from '../run-scenario.ts';
import { type LoadedScenario, loadScenario } from '../scenario-loader.ts';

interface CompareOptions {
  modes: string;
  roomSizes: string;
  engines: string;
  fault?: string;
  set: string[];
  setup: boolean;
}

const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/**
 * `centrifugo-bench compare`: the same workload through several broadcast modes, room sizes and engines,
 * a fresh stack per cell (nothing carries over: no warm caches, no leftover consumers), one table.
 */
export function registerCompare(program: Command, context: CommandContext): void {
  program
    .command('compare')
    .description('run a scenario per broadcast mode × room size × engine (fresh stack each) and print one table')
    .argument(
      '[scenario]',
      'base scenario (its chat app, dataset and workload are varied per cell)',
      'scenarios/compare.ts',
    )
    .option(
      '--modes <list>',
      'broadcast modes: api, outbox, api_outbox, redis_stream, nats_jetstream',
      'api,outbox,api_outbox',
    )
    .option('--room-sizes <list>', 'members per room', '100,1000,10000')
    .option('--engines <list>', 'Centrifugo engines: memory, redis, nats', 'memory,redis')
    .option('--fault <fault>', 'kill-node: kill Centrifugo node 1 of 2 mid-run (needs a broker: redis or nats)')
    .option('--set <path=value>', 'override a base scenario field for every cell (repeatable)', collect, [])
    .option('--no-setup', 'do not install missing programs; fail instead')
    .action(async (file: string, options: CompareOptions) => {
      process.exitCode = await compare(file, options, context);
    });
}

async function compare(file: string, options: CompareOptions, context: CommandContext): Promise<number> {
  const modes = list(options.modes);
  const engines = list(options.engines);
  const roomSizes = list(options.roomSizes).map(Number);
  if (roomSizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new UserError(`--room-sizes: expected whole numbers ≥ 1, e.g. 100,1000,10000 (got ${options.roomSizes})`);
  }
  const fault = options.fault !== undefined;
  if (fault && options.fault !== 'kill-node')
    throw new UserError(`--fault: unknown fault "${options.fault}"; use kill-node`);
  if (fault && engines.includes('memory')) {
    throw new UserError(
      '--fault kill-node runs 2 Centrifugo nodes, which need a shared broker: use --engines redis (or nats)',
    );
  }

  // Every cell is validated before the first one starts: a bad mode fails now, not an hour in.
  const cells = planCells(modes, roomSizes, engines);
  const loaded: LoadedScenario[] = [];
  for (const cell of cells) {
    const users = Math.max(...roomSizes);
    loaded.push(await loadScenario(file, [...cellOverrides(cell, { fault, users }), ...options.set]));
  }

  const id = `compare-${newRunId()}`;
  const dir = path.join(resultsRoot(), id);
  mkdirSync(dir, { recursive: true });
  log.info(
    'compare',
    `${cells.length} cells (${modes.length} modes × ${roomSizes.length} room sizes × ${engines.length} engines)${fault ? ', node 1 killed mid-run' : ''} → ${dir}`,
  );

  const results: CellResult[] = [];
  let exitCode: number = ExitCode.ok;
  for (const [index, cell] of cells.entries()) {
    if (context.signal.aborted) break;
    log.info(
      'compare',
      `cell ${index + 1}/${cells.length}: mode ${cell.mode}, room ${cell.roomSize}, engine ${cell.engine}`,
    );
    try {
      const outcome = await executeScenario(loaded[index]!, {
        signal: context.signal,
        setup: options.setup,
        report: false,
        thresholds: false,
        printSummary: false,
      });
      const points: TimeseriesPoint[] = [];
      for await (const point of readTimeseries(outcome.dir)) points.push(point);
      results.push({
        labels: cell,
        summary: outcome.summary,
        runDir: outcome.dir,
        recoveryS: recoverySeconds(points, outcome.summary),
      });
      if (outcome.exitCode === ExitCode.harnessError || outcome.exitCode === ExitCode.externalAbort)
        exitCode = outcome.exitCode;
      else if (!outcome.summary.valid && exitCode === ExitCode.ok) exitCode = ExitCode.invalidRun;
    } catch (error) {
      if (context.signal.aborted) break;
      results.push({ labels: cell, summary: null, runDir: null, recoveryS: null, error: (error as Error).message });
      exitCode = ExitCode.harnessError;
    }
  }

  const rows = tableRows(results, fault);
  const title = `Broadcast modes${fault ? ' with Centrifugo node 1 killed 10 s into publishing, back 10 s later' : ''}`;
  const markdown = [
    `# ${title}`,
    '',
    `Base scenario \`${file}\`${options.set.length ? ` with ${options.set.map((s) => `\`--set ${s}\``).join(' ')}` : ''}; a fresh stack per cell. Latencies in ms (median / p99).`,
    '',
    renderMarkdownTable(rows, fault),
    '',
    ...results
      .filter((r) => r.runDir)
      .map(
        (r) =>
          `- ${r.labels.engine} / ${r.labels.roomSize} / ${r.labels.mode}: \`${path.relative(resultsRoot(), r.runDir!)}\``,
      ),
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'compare.md'), markdown);
  writeFileSync(
    path.join(dir, 'compare.json'),
    `${JSON.stringify({ file, overrides: options.set, fault: options.fault ?? null, cells: results.map((r) => ({ labels: r.labels, runId: r.summary?.runId ?? null, valid: r.summary?.valid ?? null, recoveryS: r.recoveryS, error: r.error ?? null, metrics: r.summary?.metrics ?? null })) }, null, 2)}\n`,
  );
  const reportFile = path.join(dir, 'report.html');
  writeFileSync(
    reportFile,
    renderComparisonReport({
      title,
      description: `Base scenario ${file}; a fresh stack per cell.`,
      cells: results
        .filter((r) => r.summary)
        .map((r) => ({
          labels: r.labels,
          metrics: r.summary!.metrics,
          runId: r.summary!.runId,
          valid: r.summary!.valid,
          invalidReasons: r.summary!.invalidReasons,
        })),
    }),
  );
  process.stdout.write(
    `\n${title}\n\n${renderTextTable(rows, fault)}\n\n  table: ${path.join(dir, 'compare.md')}\n  report: ${reportFile}\n`,
  );
  if (context.signal.aborted) return ExitCode.externalAbort;
  return exitCode;
}
