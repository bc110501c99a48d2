import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { ExitCode } from '../../common/exit-codes.ts';
import { log } from '../../common/log.ts';
import { startCoordinator } from '../../distributed/index.ts';
import { harnessVersion } from '../../results/files/index.ts';
import type { CommandContext } from '../command-context.ts';

interface CoordinateOptions {
  shards: string;
  runId: string;
  port: string;
  host: string;
  registrationTimeout: string;
}

function positiveInteger(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} takes a positive integer, not "${value}"`);
  return n;
}

/**
 * `centrifugo-bench coordinate`: the coordinator of a sharded run (harness/distributed/README.md). Serves until
 * every shard is done (exit 0) or the run aborts (exit 3: the merged run is invalid, with the reason).
 * The scenario hash is sha256 of the scenario file, which shards must run unchanged.
 */
export function registerCoordinate(program: Command, context: CommandContext): void {
  program
    .command('coordinate <scenario>')
    .description('coordinate a sharded run: registration, start barrier, clock offsets, heartbeats')
    .requiredOption('--shards <n>', 'number of shards')
    .requiredOption('--run-id <id>', 'run id every shard uses')
    .option('--port <n>', 'port to listen on', '7070')
    .option('--host <addr>', 'address to listen on (0.0.0.0 inside a pod)', '127.0.0.1')
    .option('--registration-timeout <s>', 'seconds for every shard to register and connect', '120')
    .action(async (scenario: string, options: CoordinateOptions) => {
      let source: string;
      try {
        source = readFileSync(scenario, 'utf8');
      } catch {
        throw new UserError(`no scenario file at ${scenario}`);
      }
      const coordinator = await startCoordinator({
        runId: options.runId,
        shardCount: positiveInteger(options.shards, '--shards'),
        scenarioHash: createHash('sha256').update(source).digest('hex'),
        harnessVersion: harnessVersion(),
        port: positiveInteger(options.port, '--port'),
        host: options.host,
        registrationTimeoutMs: positiveInteger(options.registrationTimeout, '--registration-timeout') * 1000,
      });
      try {
        process.stdout.write(`${JSON.stringify({ url: coordinator.url, runId: options.runId })}\n`);
        const stopped = new Promise<'stopped'>((resolve) => {
          if (context.signal.aborted) resolve('stopped');
          context.signal.addEventListener('abort', () => resolve('stopped'), { once: true });
        });
        const outcome = await Promise.race([stopped, coordinator.outcome]);
        if (outcome === 'stopped') process.exitCode = ExitCode.externalAbort;
        else if (outcome.ok) process.exitCode = ExitCode.ok;
        else {
          log.error('coordinate', `distributed run invalid: ${outcome.reason}`);
          process.exitCode = ExitCode.invalidRun;
        }
      } finally {
        await coordinator.close();
      }
    });
}
