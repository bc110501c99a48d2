import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { AbortedError, isUserError } from '../common/errors.ts';
import { ExitCode } from '../common/exit-codes.ts';
import { redact } from '../common/log.ts';
import { registerCommands } from './commands/index.ts';
import { installSignalHandlers, receivedSignal } from './signals.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const signal = installSignalHandlers();

const program = new Command('centrifugo-bench')
  .description('Load tests and benchmarks for Centrifugo stacks: real services, measured delivery, CI gates.')
  .version(pkg.version)
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerCommands(program, { signal });

/** Maps whatever a command threw to one clear message and a documented exit code. */
function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version are successes; anything else commander rejects is bad usage.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
  }
  // A child killed by the same signal can fail before our own handler has run.
  if (receivedSignal() || error instanceof AbortedError) return ExitCode.externalAbort;
  if (isUserError(error)) {
    process.stderr.write(redact(`error: ${error.message}\n`));
    for (const line of error.details) process.stderr.write(redact(`  ${line}\n`));
    return error.exitCode;
  }
  process.stderr.write(redact(`error: ${(error as Error)?.stack ?? String(error)}\n`));
  return ExitCode.harnessError;
}

try {
  await program.parseAsync(process.argv);
  if (process.exitCode === undefined) process.exitCode = receivedSignal() ? ExitCode.externalAbort : ExitCode.ok;
} catch (error) {
  process.exitCode = exitCodeFor(error);
}
// Open handles (a keep-alive socket, a timer) must not keep a finished command alive.
setTimeout(() => process.exit(), 100).unref();
