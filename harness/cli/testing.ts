/**
 * What the CLI's integration tests share: the binary and the scenario definition to write scenario files
 * against, temporary folders removed when the test file is done, waiting for a condition, and checking that a
 * run left no process behind (every process a run starts inherits the test's CB_TEST_TAG value).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { processesWithEnv } from '../stack/testing.ts';

export const BIN = fileURLToPath(new URL('./bin.mjs', import.meta.url));
export const BOOTSTRAP = fileURLToPath(new URL('./bootstrap.mjs', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFINE = fileURLToPath(new URL('../../scenarios/lib/scenario.ts', import.meta.url));
/** The environment variable that marks every process a test's run starts. */
export const TAG = 'CB_TEST_TAG';

const temporary: string[] = [];
after(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** A temporary folder, removed when the test file's tests are done. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/**
 * A scenario file in `dir` with `body` as its defineScenario({ … }) argument. `.mts`: outside this
 * repository (no package.json with "type": "module") a `.ts` file would load as CommonJS.
 */
export function scenarioFile(dir: string, name: string, body: string): string {
  const file = path.join(dir, `${name}.mts`);
  writeFileSync(
    file,
    `import { defineScenario } from ${JSON.stringify(DEFINE)};\nexport default defineScenario(${body});\n`,
  );
  return file;
}

export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Leftovers are checked with a little patience: a stopped process takes a moment to disappear. */
export async function assertNothingLeft(tag: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (processesWithEnv(TAG, tag).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(processesWithEnv(TAG, tag), [], 'no process started by this run is left');
}
