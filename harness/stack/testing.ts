import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newRunId } from '../common/run-id.ts';
import { findTool, parseStackSpec, type Stack, type StackHooks, type StackSpecInput, startStack } from './index.ts';

/** Pieces of the stack that tests and benches outside it drive directly: the generated Centrifugo config, and
 *  the chat app's pre-Centrifugo preparation (for a stack that hosts the app in the bench process). */
export { centrifugoConfig } from './centrifugo-config.ts';
/** A harness-image container outside a stack (a shard run as a pod would be): runtime, engine, image, label. */
export { RUN_LABEL } from './containers/container-service.ts';
export { ContainersRuntime, TSX_CACHE } from './containers/containers-runtime.ts';
export { connectEngine } from './containers/engine-service.ts';
export { ensureHarnessImage } from './containers/harness-image.ts';
export { LocalRuntime } from './local/local-runtime.ts';
export { prepareChatApp } from './services/chat-app.ts';
export { PrometheusService, type StartedPrometheus } from './services/prometheus.ts';

/** Starts a stack (tests give the spec as a scenario would: unparsed) whose service logs go to a new temporary folder. */
async function startWithTemporaryLogs(
  spec: StackSpecInput,
  hooks: StackHooks,
): Promise<{ stack: Stack; logsDir: string }> {
  const runId = newRunId();
  const logsDir = mkdtempSync(path.join(os.tmpdir(), `centrifugo-bench-test-logs-${runId}-`));
  return { stack: await startStack(parseStackSpec(spec), { runId, logsDir }, hooks), logsDir };
}

/**
 * For tests: starts a real stack, runs `fn`, and always tears the stack down, whether `fn` passes or
 * throws. Logs go to a temporary folder (printed on failure by the services' own error messages).
 */
export async function withStack<T>(
  spec: StackSpecInput,
  fn: (stack: Stack) => Promise<T>,
  hooks: StackHooks = {},
): Promise<T> {
  const { stack, logsDir } = await startWithTemporaryLogs(spec, hooks);
  let passed = false;
  try {
    const result = await fn(stack);
    passed = true;
    return result;
  } finally {
    await stack.down();
    // A passing test leaves nothing behind; a failing one keeps its service logs to look at.
    if (passed) rmSync(logsDir, { recursive: true, force: true });
  }
}

/**
 * For suites that share one stack between tests (started in `before`, stopped in `after`): like
 * `startStack`, with logs in a temporary folder that `down()` removes. A suite cannot tell in `after`
 * whether one of its tests failed, so to keep the logs set CENTRIFUGO_BENCH_KEEP_TEST_LOGS=1.
 */
export async function startTestStack(spec: StackSpecInput, hooks: StackHooks = {}): Promise<Stack> {
  const { stack, logsDir } = await startWithTemporaryLogs(spec, hooks);
  const down = stack.down.bind(stack);
  return Object.assign(stack, {
    down: async () => {
      await down();
      if (!process.env.CENTRIFUGO_BENCH_KEEP_TEST_LOGS) rmSync(logsDir, { recursive: true, force: true });
    },
  });
}

/**
 * Live (non-zombie) processes whose environment contains `NAME=value`. Services inherit the harness's
 * environment, so a test that runs the CLI with a unique tag finds every process that run left behind,
 * even those that rewrite their command line (redis-server does).
 */
export function processesWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}\0`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (!`${environ}\0`.includes(needle)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/\) [ZX] /.test(stat)) continue; // exited, only not reaped by its parent
      found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/**
 * The headless Chromium for tests that open pages, found as `doctor` and `setup --for-tests` find it
 * ($CHROMIUM_PATH, else `chromium` on PATH); undefined when there is none.
 */
export function findChromium(): string | undefined {
  return findTool('chromium')?.path;
}
