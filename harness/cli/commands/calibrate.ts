import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDuration } from '../../common/duration.ts';
import { UserError } from '../../common/errors.ts';
import { redact } from '../../common/log.ts';
import { COMPARISON_DEFAULTS } from '../../gate/index.ts';
import { CALIBRATION_PAIRS, DEFAULT_POWER, runCalibrate, type Slowdown } from '../../run/index.ts';
import { type CommandContext, collect } from '../command-context.ts';
import { parsePairs } from './ab.ts';
import { comparisonFlags, parseFraction } from './gate.ts';

interface CalibrateOptions {
  pairs: string;
  slowdown: string;
  effect?: string;
  alpha?: string;
  power?: string;
  set: string[];
  json?: boolean;
  setup: boolean;
}

/** `15%` → a share of A's p50; `1.2ms` (or `1.2`: ms) → a fixed delay. UserError (exit 2) otherwise. */
export function parseSlowdown(text: string): Slowdown {
  const value = text.trim();
  if (value.endsWith('%')) {
    const fraction = parseFraction(value, '--slowdown');
    if (!(fraction > 0 && fraction <= 10))
      throw new UserError(`--slowdown ${text}: expected a percentage above 0, e.g. 15%`);
    return { kind: 'percent', fraction };
  }
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    throw new UserError(`--slowdown ${text}: expected a percentage like 15% or a duration like 1.2ms`);
  }
  if (!(ms > 0)) throw new UserError(`--slowdown ${text}: expected a delay above 0, e.g. 1.2ms`);
  return { kind: 'ms', ms };
}

/** --power: "95%" or 0.95, strictly between 0 and 1. */
export function parsePower(text: string | undefined): number {
  if (text === undefined) return DEFAULT_POWER;
  const power = parseFraction(text, '--power');
  if (!(power > 0 && power < 1)) throw new UserError(`--power ${text}: expected a fraction between 0 and 1, e.g. 0.95`);
  return power;
}

/**
 * `centrifugo-bench calibrate <scenario>`: A, A′ and A slowed down, interleaved; the runner's noise floor and
 * the minimum detectable effect per number of pairs. Exit 0 when it ran, 3 invalid runs, 105 stopped, 2 bad input.
 */
export function registerCalibrate(program: Command, context: CommandContext): void {
  program
    .command('calibrate')
    .description(
      "measure this machine's noise (A/A) and a known slowdown (A vs S), and report the minimum detectable effect per number of pairs",
    )
    .argument('<scenario>', 'scenario file (WebSocket publishers: the slowdown holds each publication)')
    .option('--pairs <n>', 'rounds (A, A′ and S once each per round)', '12')
    .option('--slowdown <amount>', "the injected slowdown: a share of A's p50 (15%) or a delay (1.2ms)", '15%')
    .option('--effect <fraction>', `the gate's effect size, e.g. 5% (default ${COMPARISON_DEFAULTS.effect * 100}%)`)
    .option('--alpha <p>', `error rate over all metrics compared (default ${COMPARISON_DEFAULTS.alpha})`)
    .option('--power <p>', `share of regressions a detectable slowdown is caught in (default ${DEFAULT_POWER})`)
    .option('--set <path=value>', 'override a scenario field in every run (repeatable)', collect, [])
    .option('--json', 'print calibration.json instead of the table')
    .option('--no-setup', 'do not install missing programs; fail instead')
    .addHelpText(
      'after',
      `\nThe minimum detectable effect is reported for --pairs and ${CALIBRATION_PAIRS.join(', ')} pairs.`,
    )
    .action(async (file: string, options: CalibrateOptions) => {
      const pairs = parsePairs(options.pairs);
      const slowdown = parseSlowdown(options.slowdown);
      const power = parsePower(options.power);
      const { alpha, effect } = comparisonFlags(options);
      const outcome = await runCalibrate({
        file,
        pairs,
        overrides: options.set,
        slowdown,
        alpha,
        effect,
        power,
        signal: context.signal,
        setup: options.setup,
      });
      const output = options.json
        ? readFileSync(outcome.files.json, 'utf8')
        : `${outcome.text}  session: ${outcome.dir}\n`;
      process.stdout.write(redact(output));
      process.exitCode = outcome.exitCode;
    });
}
