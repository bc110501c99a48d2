// What `npm run bench` and `npm test` run first, on a fresh clone: plain JavaScript and Node built-ins
// only, because the dependencies may not be installed yet. It installs what is missing (npm packages
// here; system packages and the Centrifugo build through `centrifugo-bench setup`, with headless Chromium
// too for `test`), then hands over.
//
//   node harness/cli/bootstrap.mjs bench [args…]   → centrifugo-bench args… (default: run scenarios/smoke.ts)
//   node harness/cli/bootstrap.mjs test [--unit] [files…]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
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
async function ensureDependencies() {
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
  const status = await runChild(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root });
  if (stoppedBy) process.exit(status || signalStatus(stoppedBy));
  if (status !== 0) fail('npm ci failed; see its output above', 1);
  writeFileSync(stamp, hash);
  process.stderr.write(`npm dependencies installed in ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
}

/** The first SIGINT/SIGTERM/SIGHUP received, if any: no further child starts after it. */
let stoppedBy;
let runningChild;

/** Passes a signal on to the running child; this process waits for the child's teardown and exits with its code. */
function forward(signal) {
  stoppedBy ??= signal;
  runningChild?.kill(signal);
}

// A Ctrl-C in a terminal reaches the child directly (same process group) and again through here; the copy
// forwarded here follows within milliseconds, and the CLI ignores a repeat within 1.5 s (signals.ts), so
// one Ctrl-C stays one stop, not "second signal: exiting now".
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward);

// `npm run` forwards SIGINT/SIGTERM to the shell it runs the script in; a shell that does not exec its
// command (dash, Debian's /bin/sh) dies of it without passing it on, and this process is orphaned with the
// run going on. Started by npm and orphaned means nobody waits for this run any more: stop it as on SIGTERM.
if (process.env.npm_lifecycle_event) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent && !stoppedBy) forward('SIGTERM');
  }, 250).unref();
}

/** 128 + the signal's number: what shells report for a process a signal ended. */
const signalStatus = (signal) => 128 + (constants.signals[signal] ?? 0);

/** Runs a child with the terminal and resolves with its exit code; after a signal, starts nothing. */
function runChild(command, childArgs, options = {}) {
  if (stoppedBy) return Promise.resolve(signalStatus(stoppedBy));
  return new Promise((resolve) => {
    const child = spawn(command, childArgs, { cwd: process.cwd(), stdio: 'inherit', ...options });
    runningChild = child;
    child.once('error', (error) => fail(error.message, 1));
    child.once('exit', (code, signal) => {
      runningChild = undefined;
      resolve(code ?? signalStatus(signal));
    });
  });
}

/** One step of `test`: the sequence ends at a failed step, or after a signal (with 128 + n if the step passed). */
async function step(command, childArgs) {
  const status = await runChild(command, childArgs);
  if (status !== 0) process.exit(status);
  if (stoppedBy) process.exit(signalStatus(stoppedBy));
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
await ensureDependencies();

if (mode === 'bench') {
  process.exit(await runChild(process.execPath, [bin, ...(args.length ? args : ['run', 'scenarios/smoke.ts'])]));
} else if (mode === 'test') {
  const unitOnly = args.includes('--unit');
  const explicit = args.filter((a) => !a.startsWith('--'));
  // The tests need what a benchmark needs plus a browser (the HTML-report tests open the pages in Chromium).
  if (!unitOnly) await step(process.execPath, [bin, 'setup', '--for-tests']);
  if (!explicit.length) {
    // Static checks first: they are fast and a type error explains more than the test it would break.
    await step(process.execPath, [
      path.join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      path.join(root, 'tsconfig.json'),
    ]);
    await step(process.execPath, [path.join(root, 'node_modules/@biomejs/biome/bin/biome'), 'check', root]);
  }
  const files = explicit.length
    ? explicit
    : ['harness', 'scenarios', 'dashboards'].flatMap((d) =>
        existsSync(path.join(root, d)) ? findTests(path.join(root, d), unitOnly) : [],
      );
  await step(process.execPath, [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    ...files.map((f) => path.relative(process.cwd(), f)),
  ]);
  process.exit(0);
} else {
  fail(`unknown bootstrap mode "${mode}"; use bench or test`);
}
