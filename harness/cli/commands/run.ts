import type { Command } from 'commander';
import { renderTerminalSummary } from '../../gate/index.ts';
import { loadPlan, OUTPUTS, runPlan } from '../../run/index.ts';
import { type CommandContext, collect } from '../command-context.ts';

interface RunOptions {
  set: string[];
  out: string[];
  setup: boolean;
  report: boolean;
  thresholds: boolean;
}

/**
 * `centrifugo-bench run <scenario.ts>`: one run; the exit code is the verdict
 * (0 pass, 99 a threshold failed, 3 invalid run, 2 bad input, 1 harness error, 105 stopped).
 */
export function registerRun(program: Command, context: CommandContext): void {
  const outs = Object.entries(OUTPUTS).map(([name, o]) => `${name}${o.arg}`);
  program
    .command('run')
    .description('run a scenario against a real stack; writes results/<run-id>/ and exits with the verdict')
    .argument('<scenario>', 'scenario file, e.g. scenarios/smoke.ts')
    .option('--set <path=value>', 'override a scenario field (repeatable), e.g. --set stack.engine=redis', collect, [])
    .option(
      '--out <name[=arg]>',
      `also write to an output (repeatable, like k6 --out): ${outs.join(', ')}`,
      collect,
      [],
    )
    .option('--no-setup', 'do not install missing programs; fail instead')
    .option('--no-report', 'skip report.html')
    .option('--no-thresholds', 'do not evaluate thresholds (k6 --no-thresholds)')
    .action(async (file: string, options: RunOptions) => {
      const plan = await loadPlan(file, {
        overrides: options.set,
        outs: options.out,
        report: options.report,
        thresholds: options.thresholds,
      });
      const outcome = await runPlan(plan, { signal: context.signal, setup: options.setup });
      const color = Boolean(process.stdout.isTTY);
      process.stdout.write(
        `${renderTerminalSummary(outcome.summary, { reportPath: outcome.reportPath, color, verdict: outcome.verdict })}\n`,
      );
      process.exitCode = outcome.exitCode;
    });
}
