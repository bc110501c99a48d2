import { ExitCode, type ExitCodeValue } from './exit-codes.ts';

/**
 * An error the user can fix. Its message is one line: what is wrong, and how to fix it.
 * Every layer may throw it; the CLI prints `error: <message>` and exits with `exitCode`.
 */
export class UserError extends Error {
  readonly exitCode: ExitCodeValue;
  /** Extra lines printed after the message (a service's log tail, a list of field errors). */
  readonly details: string[];

  constructor(message: string, options: { details?: string[]; exitCode?: ExitCodeValue; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UserError';
    this.exitCode = options.exitCode ?? ExitCode.badInput;
    this.details = options.details ?? [];
  }
}

/** Raised when SIGINT/SIGTERM stops a command; teardown has run by the time it reaches the top. */
export class AbortedError extends Error {
  constructor(signal: string) {
    super(`stopped by ${signal}`);
    this.name = 'AbortedError';
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
