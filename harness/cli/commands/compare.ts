import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { runCompare } from '../../run/index.ts';
import { type CommandContext, collect, withProvider } from '../command-context.ts';

interface CompareOptions {
  modes: string;
  roomSizes: string;
  engines: string;
  fault?: string;
  set: string[];
  provider?: string;
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
      'broadcast modes: api, outbox, api_outbox, redis_stream, nats_jetstream, cdc, api_cdc',
      'api,outbox,api_outbox',
    )
    .option('--room-sizes <list>', 'members per room', '100,1000,10000')
    .option('--engines <list>', 'Centrifugo engines: memory, redis, nats', 'memory,redis')
    .option(
      '--fault <fault>',
      'kill-node: kill Centrifugo node 1 of 2 mid-run (needs a broker: redis or nats); ' +
        'restart-connect: kill and restart Kafka Connect mid-run (cdc modes)',
    )
    .option('--set <path=value>', 'override a base scenario field for every cell (repeatable)', collect, [])
    .option('--provider <provider>', 'stack provider: local | containers | external (same as --set stack.provider=…)')
    .option('--no-setup', 'do not install missing programs; fail instead')
    .action(async (file: string, options: CompareOptions) => {
      const roomSizes = list(options.roomSizes).map(Number);
      if (roomSizes.some((n) => !Number.isInteger(n) || n < 1)) {
        throw new UserError(`--room-sizes: expected whole numbers ≥ 1, e.g. 100,1000,10000 (got ${options.roomSizes})`);
      }
      const outcome = await runCompare({
        file,
        modes: list(options.modes),
        roomSizes,
        engines: list(options.engines),
        fault: options.fault,
        overrides: withProvider(options.provider, options.set),
        signal: context.signal,
        setup: options.setup,
      });
      process.stdout.write(
        `\n${outcome.title}\n\n${outcome.table}\n\n  table: ${outcome.markdownFile}\n  report: ${outcome.reportFile}\n`,
      );
      process.exitCode = outcome.exitCode;
    });
}
