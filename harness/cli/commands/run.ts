import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { resolveShard, WHOLE_RUN } from '../../distributed/index.ts';
import { renderTerminalSummary } from '../../gate/index.ts';
import { loadPlan, OUTPUTS, runPlan } from '../../run/index.ts';
import { type CommandContext, collect, withProvider } from '../command-context.ts';

interface RunOptions {
  set: string[];
  provider?: string;
  out: string[];
  setup: boolean;
  report: boolean;
  thresholds: boolean;
  shard?: string;
  shards?: string;
  coordinator?: string;
  runId?: string;
}

/**
 * This process's shard: `--shard i/n`, or Kubernetes' JOB_COMPLETION_INDEX with `--shards N`. A shard needs
 * its coordinator and the run id every shard shares; a coordinator without a shard is a mistake too.
 */
function distributedOptions(options: RunOptions) {
  const shardCount = options.shards === undefined ? undefined : Number(options.shards);
  if (shardCount !== undefined && !(Number.isInteger(shardCount) && shardCount >= 1)) {
    throw new UserError(`--shards takes a positive integer, not "${options.shards}"`);
  }
  const shard = resolveShard({ flag: options.shard, shardCount, env: process.env });
  const sharded = shard !== WHOLE_RUN || options.coordinator !== undefined;
  if (!sharded) return { shard };
  if (!options.coordinator) throw new UserError('--shard needs --coordinator <url> (centrifugo-bench coordinate …)');
  if (!options.runId) throw new UserError('--shard needs --run-id <id>: the run id every shard of the run shares');
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(options.runId)) {
    throw new UserError(`--run-id '${options.runId}': use letters, digits, '.', '_' or '-' (it names a folder)`);
  }
  return { shard, distributed: { coordinatorUrl: options.coordinator.replace(/\/$/, ''), runId: options.runId } };
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
    .option('--provider <provider>', 'stack provider: local | containers | external (same as --set stack.provider=…)')
    .option(
      '--out <name[=arg]>',
      `also write to an output (repeatable, like k6 --out): ${outs.join(', ')}`,
      collect,
      [],
    )
    .option('--no-setup', 'do not install missing programs; fail instead')
    .option('--no-report', 'skip report.html')
    .option('--no-thresholds', 'do not evaluate thresholds (k6 --no-thresholds)')
    .option('--shard <i/n>', 'run shard i (from 0) of n of a distributed run (needs --coordinator and --run-id)')
    .option('--shards <n>', 'shard count, with $JOB_COMPLETION_INDEX as the index (Kubernetes Indexed Job)')
    .option('--coordinator <url>', 'the coordinator of a distributed run (centrifugo-bench coordinate)')
    .option('--run-id <id>', 'run id every shard of a distributed run shares; files go to results/<id>/shards/<i>/')
    .action(async (file: string, options: RunOptions) => {
      const { shard, distributed } = distributedOptions(options);
      const plan = await loadPlan(file, {
        overrides: withProvider(options.provider, options.set),
        outs: options.out,
        report: options.report,
        thresholds: options.thresholds,
        shard,
      });
      const outcome = await runPlan(plan, { signal: context.signal, setup: options.setup, distributed });
      const color = Boolean(process.stdout.isTTY);
      process.stdout.write(
        `${renderTerminalSummary(outcome.summary, { reportPath: outcome.reportPath, color, verdict: outcome.verdict })}\n`,
      );
      process.exitCode = outcome.exitCode;
    });
}
