/**
 * The import rules of harness/architecture.cjs hold on this tree (no cycles, nothing upstream, modules
 * through their index.ts), and they bite: a small tree with one deliberately wrong import of each kind
 * gets exactly those violations.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const rules = createRequire(import.meta.url)('./architecture.cjs') as IConfiguration;

async function violations(baseDir: string, paths: string[]): Promise<string[]> {
  const { output } = await cruise(paths, {
    baseDir,
    ruleSet: { forbidden: rules.forbidden },
    validate: true,
    ...rules.options,
    tsConfig: { fileName: path.join(ROOT, 'tsconfig.json') },
  });
  return (output as ICruiseResult).summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

test('the harness keeps its import rules: no cycles, no upstream import, modules through their index', async () => {
  const found = await violations(ROOT, ['harness', 'scenarios', 'dashboards']);
  assert.deepEqual(found, [], `run \`npm run imports\` for details:\n${found.join('\n')}`);
});

const fixture = mkdtempSync(path.join(os.tmpdir(), 'cb-architecture-'));
after(() => rmSync(fixture, { recursive: true, force: true }));

function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.join(fixture, file)), { recursive: true });
  writeFileSync(path.join(fixture, file), text);
}

test('each kind of wrong import is caught, and a right one is not', async () => {
  write('harness/stack/index.ts', "export { start } from './start.ts';\n");
  write('harness/stack/start.ts', 'export const start = 1;\n');
  write('harness/results/files/index.ts', 'export const files = 1;\n');
  write('harness/results/files/writer.ts', 'export const writer = 1;\n');
  write('harness/cli/main.ts', "import { start } from '../stack/index.ts';\nexport const main = start;\n");
  // Upstream: the engine may import nothing but common.
  write('harness/engine/index.ts', "import { start } from '../stack/index.ts';\nexport const engine = start;\n");
  // Around an index: gate may import results, but through results/files/index.ts.
  write('harness/gate/index.ts', "import { writer } from '../results/files/writer.ts';\nexport const gate = writer;\n");
  // Into the CLI.
  write('harness/run/index.ts', "import { main } from '../cli/main.ts';\nexport const run = main;\n");
  // A cycle inside one module.
  write('harness/seed/index.ts', "import { b } from './b.ts';\nexport const a = b;\n");
  write('harness/seed/b.ts', "import { a } from './index.ts';\nexport const b = () => a;\n");

  const found = await violations(fixture, ['harness']);
  assert.deepEqual(found.sort(), [
    'harness-engine-imports-downstream-only: harness/engine/index.ts → harness/stack/index.ts',
    'harness-modules-through-their-index: harness/gate/index.ts → harness/results/files/writer.ts',
    // cli/main.ts is not the CLI's index.ts either.
    'harness-modules-through-their-index: harness/run/index.ts → harness/cli/main.ts',
    'harness-run-imports-downstream-only: harness/run/index.ts → harness/cli/main.ts',
    'no-cycles: harness/seed/b.ts → harness/seed/index.ts',
    'nothing-imports-cli: harness/run/index.ts → harness/cli/main.ts',
  ]);
});
