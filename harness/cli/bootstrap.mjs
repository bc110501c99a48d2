// What `npm run bench` and `npm test` run first, on a fresh clone: plain JavaScript and Node built-ins
// only, because the dependencies may not be installed yet. It installs what is missing (npm packages
// here; system packages and the Centrifugo build through `centrifugo-bench setup`), then hands over.
//
//   node harness/cli/bootstrap.mjs bench [args…]   → centrifugo-bench args… (default: run scenarios/smoke.ts)
//   node harness/cli/bootstrap.mjs test [--unit] [files…]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingPlatformEntries } from './complete-lockfile.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'harness/cli/bin.mjs');
const [mode, ...args] = process.argv.slice(2);

function fail(message, code = 2) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    fail(`Node.js ${process.versions.node} is too old; centrifugo-bench needs Node.js ≥ 20.19`);
  }
}

/** npm ci when node_modules is missing or was installed from another package-lock.json. */
function ensureDependencies() {
  const lock = path.join(root, 'package-lock.json');
  const stamp = path.join(root, 'node_modules', '.centrifugo-bench-lock-hash');
  const lockText = readFileSync(lock);
  const hash = createHash('sha256').update(lockText).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  // npm's own message for this is a page of usage text; name the cause and the fix instead.
  const missing = Object.keys(missingPlatformEntries(JSON.parse(lockText.toString('utf8'))));
  if (missing.length) {
    fail(
      `package-lock.json lacks platform packages ${missing.join(', ')}, so npm ci would refuse it; run \`node harness/cli/complete-lockfile.mjs\``,
    );
  }
  process.stderr.write('installing npm dependencies (npm ci) …\n');
  const started = Date.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail('npm ci failed; see its output above', 1);
  writeFileSync(stamp, hash);
  process.stderr.write(`npm dependencies installed in ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
}

/** Runs a child with the terminal; Ctrl-C reaches it directly, and we wait for its teardown. */
function runChild(command, childArgs) {
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => {});
  const result = spawnSync(command, childArgs, { cwd: process.cwd(), stdio: 'inherit' });
  if (result.error) fail(result.error.message, 1);
  return result.status ?? 1;
}

function findTests(dir, unitOnly, out = []) {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const file = path.join(dir, entry);
    if (statSync(file).isDirectory()) findTests(file, unitOnly, out);
    else if (entry.endsWith('.test.ts') && !(unitOnly && entry.endsWith('.integration.test.ts'))) out.push(file);
  }
  return out;
}

checkNode();
ensureDependencies();

if (mode === 'bench') {
  process.exit(runChild(process.execPath, [bin, ...(args.length ? args : ['run', 'scenarios/smoke.ts'])]));
} else if (mode === 'test') {
  const unitOnly = args.includes('--unit');
  const explicit = args.filter((a) => !a.startsWith('--'));
  if (!unitOnly) {
    const setup = runChild(process.execPath, [bin, 'setup']);
    if (setup !== 0) process.exit(setup);
  }
  if (!explicit.length) {
    // Static checks first: they are fast and a type error explains more than the test it would break.
    const tsc = runChild(process.execPath, [
      path.join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      path.join(root, 'tsconfig.json'),
    ]);
    if (tsc !== 0) process.exit(tsc);
    const lint = runChild(process.execPath, [path.join(root, 'node_modules/@biomejs/biome/bin/biome'), 'check', root]);
    if (lint !== 0) process.exit(lint);
  }
  const files = explicit.length
    ? explicit
    : ['harness', 'scenarios', 'dashboards'].flatMap((d) =>
        existsSync(path.join(root, d)) ? findTests(path.join(root, d), unitOnly) : [],
      );
  process.exit(
    runChild(process.execPath, [
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      ...files.map((f) => path.relative(process.cwd(), f)),
    ]),
  );
} else {
  fail(`unknown bootstrap mode "${mode}"; use bench or test`);
}
