import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newRunId } from '../common/run-id.ts';
import { type Stack, type StackHooks, type StackSpecInput, startStack } from './index.ts';

/**
 * For tests: starts a real stack, runs `fn`, and always tears the stack down, whether `fn` passes or
 * throws. Logs go to a temporary folder (printed on failure by the services' own error messages).
 */
export async function withStack<T>(
  spec: StackSpecInput,
  fn: (stack: Stack) => Promise<T>,
  hooks: StackHooks = {},
): Promise<T> {
  const runId = newRunId();
  const logsDir = mkdtempSync(path.join(os.tmpdir(), `centrifugo-bench-test-logs-${runId}-`));
  const stack = await startStack(spec, { runId, logsDir }, hooks);
  try {
    return await fn(stack);
  } finally {
    await stack.down();
  }
}
