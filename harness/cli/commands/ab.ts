import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { redact } from '../../common/log.ts';
import { COMPARISON_DEFAULTS, renderComparisonTerminal } from '../../gate/index.ts';
import { type AbOutcome, MAX_PAIRS, runAb } from '../../run/index.ts';
import { type CommandContext, collect } from '../command-context.ts';
import { comparisonFlags } from './gate.ts';

interface AbOptions {
  pairs: string;
  set: string[];
  aSet: string[];
  bSet: string[];
  aEnv: string[];
  bEnv: string[];
  effect?: string;
  alpha?: string;
  junit?: string;
  markdown?: string;
  json?: boolean;
  setup: boolean;
}

/** `--pairs 8` → 8; a whole number from 1 to MAX_PAIRS, else UserError (exit 2). */
export function parsePairs(text: string, flag = '--pairs'): number {
  const pairs = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isInteger(pairs) || pairs < 1 || pairs > MAX_PAIRS) {
    throw new UserError(`${flag} ${text}: expected a whole number from 1 to ${MAX_PAIRS}, e.g. 8`);
  }
  return pairs;
}

/** `--a-env NAME=VALUE …` → { NAME: VALUE }; UserError (exit 2) without `=` or with a name a shell would refuse. */
export function parseEnvAssignments(assignments: readonly string[], flag: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    const name = at < 0 ? '' : assignment.slice(0, at);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UserError(
        `${flag} ${assignment}: expected NAME=VALUE, e.g. ${flag} CENTRIFUGO_BENCH_CENTRIFUGO=/path/to/centrifugo`,
      );
    }
    env[name] = assignment.slice(at + 1);
  }
  return env;
}

async function writeCopy(from: string | null, to: string | undefined): Promise<void> {
  if (!from || !to) return;
  await mkdir(path.dirname(path.resolve(to)), { recursive: true });
  await writeFile(to, await readFile(from, 'utf8'), 'utf8');
}

/** What `ab` prints on stdout: the comparison table, or ab.json's gist with --json. */
export function abOutput(outcome: AbOutcome, json: boolean): string {
  if (json) {
    return `${JSON.stringify(
      {
        dir: outcome.dir,
        exitCode: outcome.exitCode,
        interrupted: outcome.session.interrupted,
        completedPairs: outcome.session.completedRounds,
        runs: outcome.session.order.map((run) => ({ round: run.round, label: run.label, runId: run.runId })),
        warnings: outcome.warnings,
        verdict: outcome.verdict,
        comparison: outcome.comparison,
      },
      null,
      2,
    )}\n`;
  }
  const order = outcome.session.order.map((run) => run.label).join(' ');
  const body =
    outcome.comparison && outcome.verdict
      ? renderComparisonTerminal(outcome.comparison, outcome.verdict)
      : '\n  no complete pair: nothing to compare\n';
  const stopped = outcome.session.interrupted
    ? `  stopped after ${outcome.session.completedRounds} of the pairs asked for (exit ${outcome.exitCode})\n`
    : '';
  return `\n  runs in order: ${order}\n${body}${stopped}  session: ${outcome.dir}\n`;
}

/**
 * `centrifugo-bench ab <scenario>`: A (baseline) and B (candidate) interleaved A B, B A, … on this machine,
 * judged pair by pair; exit 0 passed, 99 regression, 4 inconclusive, 3 invalid run, 105 stopped, 2 bad input.
 */
export function registerAb(program: Command, context: CommandContext): void {
  program
    .command('ab')
    .description(
      'run a baseline (A) and a candidate (B) interleaved A B, B A, … and judge them pair by pair; exit 0 passed, 99 regression, 4 inconclusive, 3 invalid run, 2 bad input',
    )
    .argument('<scenario>', 'scenario file')
    .option('--pairs <n>', 'pairs of runs (A and B once each per pair)', '12')
    .option('--set <path=value>', 'override a scenario field on both sides (repeatable)', collect, [])
    .option('--a-set <path=value>', 'override a scenario field for A only (repeatable)', collect, [])
    .option('--b-set <path=value>', 'override a scenario field for B only (repeatable)', collect, [])
    .option(
      '--a-env <NAME=VALUE>',
      "environment variable for A's runs, e.g. CENTRIFUGO_BENCH_CENTRIFUGO=/path/to/main/centrifugo (repeatable)",
      collect,
      [],
    )
    .option('--b-env <NAME=VALUE>', "environment variable for B's runs (repeatable)", collect, [])
    .option(
      '--effect <fraction>',
      `the smallest slowdown that matters, e.g. 5% (default ${COMPARISON_DEFAULTS.effect * 100}%)`,
    )
    .option('--alpha <p>', `error rate over all metrics compared (default ${COMPARISON_DEFAULTS.alpha})`)
    .option('--junit <file>', 'also write the JUnit XML here')
    .option('--markdown <file>', 'also write the Markdown summary here (e.g. "$GITHUB_STEP_SUMMARY")')
    .option('--json', 'print the session and comparison as JSON instead of the table')
    .option('--no-setup', 'do not install missing programs; fail instead')
    .action(async (file: string, options: AbOptions) => {
      const pairs = parsePairs(options.pairs);
      const { alpha, effect } = comparisonFlags(options);
      const a = { overrides: options.aSet, env: parseEnvAssignments(options.aEnv, '--a-env') };
      const b = { overrides: options.bSet, env: parseEnvAssignments(options.bEnv, '--b-env') };
      const outcome = await runAb({
        file,
        pairs,
        overrides: options.set,
        a,
        b,
        alpha,
        effect,
        signal: context.signal,
        setup: options.setup,
      });
      await writeCopy(outcome.files.junit, options.junit);
      await writeCopy(outcome.files.markdown, options.markdown);
      process.stdout.write(redact(abOutput(outcome, options.json ?? false)));
      process.exitCode = outcome.exitCode;
    });
}
