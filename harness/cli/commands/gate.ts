import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import type { ExitCodeValue } from '../../common/exit-codes.ts';
import { redact } from '../../common/log.ts';
import type { RunSummary } from '../../common/summary-types.ts';
import {
  type BaselineComparison,
  COMPARE_DEFAULTS,
  judgeRun,
  renderJunit,
  renderMarkdownSummary,
  renderTerminalSummary,
} from '../../gate/index.ts';
import { RUN_FILES } from '../../results/files/index.ts';

export interface GateOptions {
  baseline?: string;
  junit?: string;
  markdown?: string;
  json?: boolean;
  alpha?: string;
  tolerance?: string;
  trim?: string;
  color?: boolean;
}

export interface GateOutcome {
  exitCode: ExitCodeValue;
  /** What the command prints on stdout. */
  output: string;
  summary: RunSummary;
  comparison: BaselineComparison | null;
}

/** "5%" or "0.05" → 0.05. */
export function parseFraction(text: string, flag: string): number {
  const percent = text.trim().endsWith('%');
  const value = Number(percent ? text.trim().slice(0, -1) : text);
  if (!Number.isFinite(value) || value < 0)
    throw new UserError(`${flag} ${text}: expected a fraction like 0.05 or a percentage like 5%`);
  return percent ? value / 100 : value;
}

async function writeOut(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, redact(text), 'utf8');
}

/**
 * `gate`: re-evaluates the thresholds stored in a run's summary.json (from its metrics and histograms),
 * compares with a baseline run when given, writes JUnit / Markdown on request, and returns the exit code.
 */
export async function runGate(runDir: string, options: GateOptions = {}): Promise<GateOutcome> {
  const alpha = options.alpha === undefined ? COMPARE_DEFAULTS.alpha : parseFraction(options.alpha, '--alpha');
  if (alpha <= 0 || alpha >= 1)
    throw new UserError(`--alpha ${options.alpha}: expected a significance level between 0 and 1, e.g. 0.05`);
  const tolerance =
    options.tolerance === undefined ? COMPARE_DEFAULTS.tolerance : parseFraction(options.tolerance, '--tolerance');
  const trimS = options.trim === undefined ? COMPARE_DEFAULTS.trimS : Number(options.trim);
  if (!Number.isFinite(trimS) || trimS < 0) throw new UserError(`--trim ${options.trim}: expected seconds ≥ 0`);

  const { summary, info, dir, comparison, verdict } = await judgeRun(runDir, {
    baseline: options.baseline,
    alpha,
    tolerance,
    trimS,
  });
  const report = path.join(dir, RUN_FILES.report);
  const reportPath = existsSync(report) ? report : null;
  if (options.junit) await writeOut(options.junit, renderJunit(summary, { comparison }));
  if (options.markdown)
    await writeOut(options.markdown, renderMarkdownSummary(summary, { comparison, info, reportPath, verdict }));

  const output = options.json
    ? `${JSON.stringify({ runId: summary.runId, status: verdict.status, exitCode: verdict.exitCode, headline: verdict.headline, valid: summary.valid, invalidReasons: summary.invalidReasons, thresholds: summary.thresholds, comparison }, null, 2)}\n`
    : renderTerminalSummary(summary, { comparison, color: options.color ?? false, reportPath, verdict });
  return { exitCode: verdict.exitCode, output, summary, comparison };
}

/** `centrifugo-bench gate <run-dir> [--baseline <run-dir>] [--junit file] [--markdown file]`. */
export function registerGate(program: Command): void {
  program
    .command('gate')
    .description(
      'judge a finished run: re-evaluate its thresholds, compare with a baseline run (Mann-Whitney U over per-second samples); exit 0 passed, 99 failed/regressed, 3 invalid run, 2 bad input',
    )
    .argument('<run-dir>', 'the run directory, results/<run-id>')
    .option('--baseline <run-dir>', 'compare against this run (same scenario, taken the same way)')
    .option('--junit <file>', 'write JUnit XML (one testcase per threshold and per compared series)')
    .option('--markdown <file>', 'write the Markdown summary (e.g. "$GITHUB_STEP_SUMMARY" or a PR comment body)')
    .option('--json', 'print the verdict, thresholds and comparison as JSON instead of the text summary')
    .option('--alpha <p>', `significance level of the U test (default ${COMPARE_DEFAULTS.alpha})`)
    .option(
      '--tolerance <fraction>',
      `relative change that counts as one, e.g. 0.05 or 5% (default ${COMPARE_DEFAULTS.tolerance * 100}%)`,
    )
    .option('--trim <seconds>', 'drop this many seconds at the start and end of each run before comparing (default 0)')
    .action(async (runDir: string, options: GateOptions) => {
      const outcome = await runGate(runDir, {
        ...options,
        color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
      });
      process.stdout.write(redact(outcome.output));
      process.exitCode = outcome.exitCode;
    });
}
