import type { Command } from 'commander';
import { type CommandContext, collect } from '../command-context.ts';
import { executeScenario } from '../run-scenario.ts';
import { loadScenario } from '../scenario-loader.ts';

interface RunOptions {
  set: string[];
  setup: boolean;
  report: boolean;
  thresholds: boolean;
}

/**
 * `centrifugo-bench run <scenario.ts>`: one run; the exit code is the verdict
 * (0 pass, 99 a threshold failed, 3 invalid run, 2 bad input, 1 harness error, 105 stopped).
 */
export function registerRun(program: Command, context: CommandContext): void {
  program
    .command('run')
    .description('run a scenario against a real stack; writes results/<run-id>/ and exits with the verdict')
    .argument('<scenario>', 'scenario file, e.g. scenarios/smoke.ts')
    .option('--set <path=value>', 'override a scenario field (repeatable), e.g. --set stack.engine=redis', collect, [])
    .option('--no-setup', 'do not install missing programs; fail instead')
    .option('--no-report', 'skip report.html')
    .option('--no-thresholds', 'do not evaluate thresholds (k6 --no-thresholds)')
    .action(async (file: string, options: RunOptions) => {
      const loaded = await loadScenario(file, options.set);
      const outcome = await executeScenario(loaded, { ...options, signal: context.signal, printSummary: true });
      process.exitCode = outcome.exitCode;
    });
}
