import { ExitCode } from '../common/exit-codes.ts';
import { log } from '../common/log.ts';

/**
 * The first SIGINT/SIGTERM aborts the running command, which tears down and exits 105 (k6's
 * ExternalAbort). A second one exits at once; the reaper still removes whatever was started.
 */
const controller = new AbortController();
let received: NodeJS.Signals | undefined;
let receivedAt = 0;

export function installSignalHandlers(): AbortSignal {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      // One Ctrl-C can arrive more than once: from the terminal's process group, and again forwarded by a
      // wrapper (bootstrap.mjs under `npm run bench`, `timeout`), within milliseconds.
      if (received && performance.now() - receivedAt < 1500) return;
      if (received) {
        log.warn('cli', `second ${signal}: exiting now; leftover processes are removed by the reaper`);
        process.exit(ExitCode.externalAbort);
      }
      received = signal;
      receivedAt = performance.now();
      log.warn('cli', `${signal} received: stopping and tearing down (again to exit at once)`);
      controller.abort(new Error(`stopped by ${signal}`));
    });
  }
  return controller.signal;
}

export function receivedSignal(): NodeJS.Signals | undefined {
  return received;
}
