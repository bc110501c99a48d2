import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { ExitCode, type ExitCodeValue } from '../../common/exit-codes.ts';
import { redact } from '../../common/log.ts';
import {
  COMPARISON_DEFAULTS,
  judgeAgainstBaseline,
  judgeRun,
  type RunComparison,
  renderComparisonJunit,
  renderComparisonMarkdown,
  renderComparisonTerminal,
  renderJunit,
  renderMarkdownSummary,
  renderTerminalSummary,
} from '../../gate/index.ts';
import { RUN_FILES } from '../../results/files/index.ts';

export interface GateOptions {
  baseline?: string;
  baselinesDir?: string;
  anyHost?: boolean;
  junit?: string;
  markdown?: string;
  json?: boolean;
  alpha?: string;
  effect?: string;
  color?: boolean;
}

export interface GateOutcome {
  exitCode: ExitCodeValue;
  /** What the command prints on stdout. */
  output: string;
  comparison: RunComparison | null;
}

/** "5%" or "0.05" → 0.05. */
export function parseFraction(text: string, flag: string): number {
  const percent = text.trim().endsWith('%');
  const value = Number(percent ? text.trim().slice(0, -1) : text);
  if (!Number.isFinite(value) || value < 0)
    throw new UserError(`${flag} ${text}: expected a fraction like 0.05 or a percentage like 5%`);
  return percent ? value / 100 : value;
}

/** --alpha and --effect, checked: the same flags for gate, ab and calibrate. */
export function comparisonFlags(options: { alpha?: string; effect?: string }): { alpha: number; effect: number } {
  const alpha = options.alpha === undefined ? COMPARISON_DEFAULTS.alpha : parseFraction(options.alpha, '--alpha');
  if (alpha <= 0 || alpha >= 1)
    throw new UserError(`--alpha ${options.alpha}: expected a significance level between 0 and 1, e.g. 0.05`);
  const effect = options.effect === undefined ? COMPARISON_DEFAULTS.effect : parseFraction(options.effect, '--effect');
  if (effect <= 0 || effect >= 10)
    throw new UserError(`--effect ${options.effect}: expected the smallest slowdown that matters, e.g. 5% or 0.1`);
  return { alpha, effect };
}

async function writeOut(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, redact(text), 'utf8');
}

/** The worst of several verdicts' exit codes: invalid, then failed, then inconclusive, then passed. */
function worstExitCode(codes: readonly ExitCodeValue[]): ExitCodeValue {
  const order: ExitCodeValue[] = [ExitCode.invalidRun, ExitCode.thresholdsFailed, ExitCode.inconclusive];
  return order.find((code) => codes.includes(code)) ?? ExitCode.ok;
}

/**
 * `gate`: re-evaluates the thresholds stored in each run's summary.json (from its metrics and
 * histograms); with `--baseline`, compares the runs with the baseline's runs at run level; writes JUnit /
 * Markdown on request, and returns the exit code.
 */
export async function runGate(runDirs: string | readonly string[], options: GateOptions = {}): Promise<GateOutcome> {
  const dirs = typeof runDirs === 'string' ? [runDirs] : runDirs;
  if (dirs.length === 0) throw new UserError('gate needs at least one run directory');
  const flags = comparisonFlags(options);

  if (options.baseline) {
    const judged = await judgeAgainstBaseline(dirs, options.baseline, {
      ...flags,
      baselinesDir: options.baselinesDir,
      anyHost: options.anyHost,
    });
    const { comparison, verdict } = judged;
    const suite = `centrifugo-bench ${judged.runs[0]?.summary.scenario ?? ''}`.trim();
    if (options.junit) await writeOut(options.junit, renderComparisonJunit(comparison, verdict, { suite }));
    if (options.markdown) await writeOut(options.markdown, renderComparisonMarkdown(comparison, verdict));
    const runLines = judged.runs.map((run) => `  run ${run.summary.runId}: ${run.verdict.headline}`);
    const output = options.json
      ? `${JSON.stringify(
          {
            status: verdict.status,
            exitCode: verdict.exitCode,
            headline: verdict.headline,
            baseline: { id: judged.baseline.id, source: judged.baseline.source },
            runs: judged.runs.map((run) => ({
              runId: run.summary.runId,
              status: run.verdict.status,
              valid: run.summary.valid,
              invalidReasons: run.summary.invalidReasons,
              thresholds: run.summary.thresholds,
            })),
            comparison,
          },
          null,
          2,
        )}\n`
      : `\n  baseline ${judged.baseline.id} (${judged.baseline.source}), ${judged.baseline.runs.length} run${judged.baseline.runs.length === 1 ? '' : 's'}\n${runLines.join('\n')}\n${renderComparisonTerminal(comparison, verdict)}`;
    return { exitCode: verdict.exitCode, output, comparison };
  }

  const outputs: string[] = [];
  const codes: ExitCodeValue[] = [];
  for (const dir of dirs) {
    const { summary, info, dir: resolved, verdict } = await judgeRun(dir);
    const report = path.join(resolved, RUN_FILES.report);
    const reportPath = existsSync(report) ? report : null;
    // With several runs, the files describe the last one; CI gates one run per step, or compares them.
    if (options.junit) await writeOut(options.junit, renderJunit(summary));
    if (options.markdown)
      await writeOut(options.markdown, renderMarkdownSummary(summary, { info, reportPath, verdict }));
    outputs.push(
      options.json
        ? JSON.stringify(
            {
              runId: summary.runId,
              status: verdict.status,
              exitCode: verdict.exitCode,
              headline: verdict.headline,
              valid: summary.valid,
              invalidReasons: summary.invalidReasons,
              thresholds: summary.thresholds,
            },
            null,
            2,
          )
        : renderTerminalSummary(summary, { color: options.color ?? false, reportPath, verdict }),
    );
    codes.push(verdict.exitCode);
  }
  return { exitCode: worstExitCode(codes), output: `${outputs.join('\n')}\n`, comparison: null };
}

/** `centrifugo-bench gate <run-dir...> [--baseline <ref>] [--junit file] [--markdown file]`. */
export function registerGate(program: Command): void {
  program
    .command('gate')
    .description(
      'judge finished runs: re-evaluate their thresholds and, with --baseline, compare them with the baseline runs at run level; exit 0 passed, 99 failed or regressed, 4 inconclusive, 3 invalid run, 2 bad input',
    )
    .argument('<run-dir...>', 'run directories, results/<run-id> (several: k runs of the candidate)')
    .option(
      '--baseline <ref>',
      'compare against a stored baseline (<scenario>/<name> under --baselines-dir, or its folder) or a run directory',
    )
    .option('--baselines-dir <dir>', 'where named baselines are stored', 'baselines')
    .option('--any-host', 'accept a baseline measured on another kind of machine (not comparable, usually)')
    .option(
      '--effect <fraction>',
      `the smallest slowdown that matters, e.g. 5% (default ${COMPARISON_DEFAULTS.effect * 100}%)`,
    )
    .option('--alpha <p>', `error rate over all metrics compared (default ${COMPARISON_DEFAULTS.alpha})`)
    .option('--junit <file>', 'write JUnit XML (one testcase per threshold, or per compared metric)')
    .option('--markdown <file>', 'write the Markdown summary (e.g. "$GITHUB_STEP_SUMMARY" or a PR comment body)')
    .option('--json', 'print the verdict, thresholds and comparison as JSON instead of the text summary')
    .action(async (runDirs: string[], options: GateOptions) => {
      const outcome = await runGate(runDirs, {
        ...options,
        color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
      });
      process.stdout.write(redact(outcome.output));
      process.exitCode = outcome.exitCode;
    });
}
