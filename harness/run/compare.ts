/**
 * `compare`: the same workload through several broadcast modes, room sizes and engines — one run of the
 * pipeline per cell, a fresh stack each (nothing carries over: no warm caches, no leftover consumers) —
 * and one table (compare.md, compare.json, report.html) under `results/compare-<id>/`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors.ts';
import { ExitCode } from '../common/exit-codes.ts';
import { log } from '../common/log.ts';
import { newRunId, resultsRoot } from '../common/run-id.ts';
import type { TimeseriesPoint } from '../common/summary-types.ts';
import { readTimeseries } from '../results/files/index.ts';
import { renderComparisonReport } from '../results/report/index.ts';
import {
  type CellResult,
  COMPARE_FAULTS,
  cellOverrides,
  isCompareFault,
  planCells,
  recoverySeconds,
  renderMarkdownTable,
  renderTextTable,
  tableRows,
} from './compare-matrix.ts';
import { runPlan } from './pipeline.ts';
import { loadPlan, type RunPlan } from './plan.ts';

export interface CompareInput {
  /** The base scenario file. */
  file: string;
  modes: string[];
  roomSizes: number[];
  engines: string[];
  /** 'kill-node': Centrifugo node 1 of 2 dies mid-run in every cell; 'restart-connect': Kafka Connect (cdc modes). */
  fault?: string;
  /** `--set` overrides for every cell. */
  overrides: string[];
  signal: AbortSignal;
  setup: boolean;
}

export interface CompareOutcome {
  title: string;
  /** The table as text, for the terminal. */
  table: string;
  dir: string;
  markdownFile: string;
  reportFile: string;
  exitCode: number;
}

export async function runCompare(input: CompareInput): Promise<CompareOutcome> {
  const { modes, roomSizes, engines, signal } = input;
  if (roomSizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new UserError(`--room-sizes: expected whole numbers ≥ 1, e.g. 100,1000,10000 (got ${roomSizes.join(',')})`);
  }
  const fault = input.fault !== undefined;
  const faultName = input.fault;
  if (faultName !== undefined && !isCompareFault(faultName)) {
    throw new UserError(`--fault: unknown fault "${faultName}"; use ${Object.keys(COMPARE_FAULTS).join(' or ')}`);
  }
  if (faultName === 'kill-node' && engines.includes('memory')) {
    throw new UserError(
      '--fault kill-node runs 2 Centrifugo nodes, which need a shared broker: use --engines redis (or nats)',
    );
  }
  const notCdc = modes.filter((m) => m !== 'cdc' && m !== 'api_cdc');
  if (faultName === 'restart-connect' && notCdc.length > 0) {
    throw new UserError(
      `--fault restart-connect restarts Kafka Connect, which only the cdc modes run: use --modes cdc,api_cdc (not ${notCdc.join(', ')})`,
    );
  }

  // Every cell is planned before the first one starts: a bad mode fails now, not an hour in.
  const cells = planCells(modes, roomSizes, engines);
  const users = Math.max(...roomSizes);
  const plans: RunPlan[] = [];
  for (const cell of cells) {
    plans.push(
      await loadPlan(input.file, {
        overrides: [...cellOverrides(cell, { fault: faultName, users }), ...input.overrides],
        report: false,
        thresholds: false,
      }),
    );
  }

  const dir = path.join(resultsRoot(), `compare-${newRunId()}`);
  mkdirSync(dir, { recursive: true });
  log.info(
    'compare',
    `${cells.length} cells (${modes.length} modes × ${roomSizes.length} room sizes × ${engines.length} engines)${faultName ? `, ${COMPARE_FAULTS[faultName].title}` : ''} → ${dir}`,
  );

  const results: CellResult[] = [];
  let exitCode: number = ExitCode.ok;
  for (const [index, cell] of cells.entries()) {
    if (signal.aborted) break;
    log.info(
      'compare',
      `cell ${index + 1}/${cells.length}: mode ${cell.mode}, room ${cell.roomSize}, engine ${cell.engine}`,
    );
    try {
      const outcome = await runPlan(plans[index]!, { signal, setup: input.setup });
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
      if (signal.aborted) break;
      results.push({ labels: cell, summary: null, runDir: null, recoveryS: null, error: (error as Error).message });
      exitCode = ExitCode.harnessError;
    }
  }

  const rows = tableRows(results, fault);
  const title = `Broadcast modes${faultName ? ` with ${COMPARE_FAULTS[faultName].title}` : ''}`;
  const markdown = [
    `# ${title}`,
    '',
    `Base scenario \`${input.file}\`${input.overrides.length ? ` with ${input.overrides.map((s) => `\`--set ${s}\``).join(' ')}` : ''}; a fresh stack per cell. Latencies: median / p99.`,
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
  const markdownFile = path.join(dir, 'compare.md');
  writeFileSync(markdownFile, markdown);
  writeFileSync(
    path.join(dir, 'compare.json'),
    `${JSON.stringify({ file: input.file, overrides: input.overrides, fault: input.fault ?? null, cells: results.map((r) => ({ labels: r.labels, runId: r.summary?.runId ?? null, valid: r.summary?.valid ?? null, recoveryS: r.recoveryS, error: r.error ?? null, metrics: r.summary?.metrics ?? null })) }, null, 2)}\n`,
  );
  const reportFile = path.join(dir, 'report.html');
  writeFileSync(
    reportFile,
    renderComparisonReport({
      title,
      description: `Base scenario ${input.file}; a fresh stack per cell.`,
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
  return {
    title,
    table: renderTextTable(rows, fault),
    dir,
    markdownFile,
    reportFile,
    exitCode: signal.aborted ? ExitCode.externalAbort : exitCode,
  };
}
