import { readFileSync, rmSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { ExitCode } from '../../common/exit-codes.ts';
import { log } from '../../common/log.ts';
import { parseSinkConfig, startSink } from '../../sut/push-sink/index.ts';
import type { CommandContext } from '../command-context.ts';

interface SinkOptions {
  port?: string;
  workers?: string;
  config?: string;
  stateDir?: string;
  receiptsDir?: string;
  seed?: string;
}

function readConfigFile(file: string): Record<string, unknown> {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UserError(`sink config ${file} must hold a JSON object`);
    }
    return value as Record<string, unknown>;
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT'
        ? `no sink config at ${file}`
        : `sink config ${file} is not valid JSON: ${(error as Error).message}`,
    );
  }
}

function integer(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`${flag} takes a non-negative integer, not "${value}"`);
  return n;
}

/**
 * `centrifugo-bench sink`: the mock FCM HTTP v1 + Web Push service (harness/sut/push-sink). Prints one JSON
 * line with its endpoints and file paths (never the secrets in them) and serves until Ctrl-C / SIGTERM.
 */
export function registerSink(program: Command, context: CommandContext): void {
  program
    .command('sink')
    .description('run the mock FCM HTTP v1 / Web Push service until Ctrl-C; prints one JSON line with its endpoints')
    .option('--port <n>', 'TLS port on 127.0.0.1 (default: a free one)')
    .option('--workers <n>', 'worker processes sharing the port, or "auto" for one per core (default 1)')
    .option('--config <file>', 'JSON sink configuration (harness/sut/push-sink/README.md)')
    .option(
      '--state-dir <dir>',
      'where the CA, credentials and receipts go (default: a temporary folder removed at exit)',
    )
    .option('--receipts-dir <dir>', 'where receipt files go (default: <state-dir>/receipts)')
    .option('--seed <seed>', 'seed for tokens, subscriptions and fault draws (default: random)')
    .action(async (options: SinkOptions) => {
      const raw = options.config ? readConfigFile(options.config) : {};
      if (options.port !== undefined) raw.port = integer(options.port, '--port');
      if (options.workers !== undefined) {
        raw.workers = options.workers === 'auto' ? 'auto' : integer(options.workers, '--workers');
      }
      if (options.seed !== undefined) raw.seed = options.seed;
      const config = parseSinkConfig(raw, options.config ? `sink config ${options.config}` : 'sink options');
      const sink = await startSink(config, {
        stateDir: options.stateDir,
        receiptsDir: options.receiptsDir,
        logger: { info: (m) => log.info('sink', m), warn: (m) => log.warn('sink', m) },
      });
      try {
        process.stdout.write(`${JSON.stringify(sink.endpoints)}\n`);
        const stopped = new Promise<undefined>((resolve) => {
          if (context.signal.aborted) resolve(undefined);
          context.signal.addEventListener('abort', () => resolve(undefined), { once: true });
        });
        const crash = await Promise.race([stopped, sink.crashed]);
        if (crash) {
          log.error('sink', crash);
          process.exitCode = ExitCode.harnessError;
        }
      } finally {
        await sink.stop();
        if (!options.stateDir) rmSync(sink.endpoints.stateDir, { recursive: true, force: true });
        log.info('sink', 'stopped');
      }
      // Ctrl-C / SIGTERM is how a server is stopped: a clean stop is a success.
      if (process.exitCode === undefined) process.exitCode = ExitCode.ok;
    });
}
