/**
 * Signals through every way a run is started: `npm run bench`, the bootstrap script it runs, and the binary.
 * A SIGTERM sent to the outermost process only (a CI runner's timeout, a process supervisor) stops the run
 * the documented way: teardown, the run saved as aborted, exit 105 — not a run that goes on to completion.
 * And a Ctrl-C that kills the start-up's version probe reports the stop, not "Centrifugo … was not found".
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ExitCode } from '../common/exit-codes.ts';
import type { RunSummary } from '../common/summary-types.ts';
import { findTool } from '../stack/index.ts';
import { assertNothingLeft, BIN, BOOTSTRAP, REPO_ROOT, scenarioFile, TAG, tempDir, until } from './testing.ts';

const ROOT = REPO_ROOT;
/** Process groups the tests started: killed at the end if a failed test left one running. */
const groups: number[] = [];
after(() => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A few subscribers, 10 s of publishing, the memory engine: long enough to be stopped mid-run. */
const scenario = scenarioFile(
  tempDir('cb-signals-'),
  'signals',
  `{
  name: 'signals',
  stack: { engine: 'memory' },
  workload: {
    subscribers: { count: 5, connectRate: 100 },
    publishers: { executor: 'constant-arrival-rate', rate: 5, duration: '10s', preAllocatedVUs: 1, maxVUs: 2 },
    drain: '1s',
  },
  results: { report: false },
}`,
);

const LAUNCHERS = {
  'npm run bench': ['npm', ['run', 'bench', '--', 'run', '--no-setup', scenario]],
  'node harness/cli/bootstrap.mjs bench': [process.execPath, [BOOTSTRAP, 'bench', 'run', '--no-setup', scenario]],
  'the binary': [process.execPath, [BIN, 'run', '--no-setup', scenario]],
} as const satisfies Record<string, readonly [string, readonly string[]]>;

interface Started {
  child: ChildProcess;
  tag: string;
  results: string;
  stderr: () => string;
  exit: Promise<number>;
}

/** Starts a launcher in a process group of its own, as a CI job or a supervisor would. */
function start(launcher: keyof typeof LAUNCHERS, env: NodeJS.ProcessEnv = {}): Started {
  const [command, args] = LAUNCHERS[launcher];
  const tag = randomUUID();
  const results = tempDir('cb-signals-results-');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, [TAG]: tag, CENTRIFUGO_BENCH_RESULTS: results };
  delete childEnv.CENTRIFUGO_BENCH_CLICKHOUSE_URL;
  const child = spawn(command, [...args], {
    cwd: ROOT,
    env: childEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  groups.push(child.pid!);
  let stderr = '';
  child.stdout!.resume();
  child.stderr!.on('data', (c) => (stderr += c));
  // As a shell reports it ($?): 128 + n for a process that signal n ended.
  const exit = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? 128 + os.constants.signals[signal!])),
  );
  return { child, tag, results, stderr: () => stderr, exit };
}

function onlySummary(results: string): RunSummary {
  const runs = readdirSync(results).filter((d) => !d.startsWith('.'));
  assert.equal(runs.length, 1, `one run directory in ${results}`);
  const file = path.join(results, runs[0]!, 'summary.json');
  assert.ok(existsSync(file), `${file} written`);
  return JSON.parse(readFileSync(file, 'utf8')) as RunSummary;
}

for (const launcher of Object.keys(LAUNCHERS) as (keyof typeof LAUNCHERS)[]) {
  test(`SIGTERM to \`${launcher}\` alone mid-run: teardown, saved as aborted, exit 105, nothing left`, async () => {
    const run = start(launcher);
    await until(() => /engine +publish:/.test(run.stderr()), 60_000, `the publish phase:\n${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 1000));
    run.child.kill('SIGTERM'); // this process only, not its group
    const code = await run.exit;
    // npm passes its script's exit code on only when the script's shell execs the command (package.json
    // "bench": "exec node …"); a shell left in between dies of the SIGTERM npm forwards, and npm exits 143.
    assert.equal(code, ExitCode.externalAbort, run.stderr());
    assert.match(run.stderr(), /SIGTERM received: stopping and tearing down/);
    assert.doesNotMatch(run.stderr(), /second SIG/);
    const summary = onlySummary(run.results);
    assert.equal(summary.aborted?.by, 'signal');
    assert.match(summary.invalidReasons.join('\n'), /stopped by SIGTERM/);
    await assertNothingLeft(run.tag);
  });
}

test('Ctrl-C through `npm run bench` while the stack start probes Centrifugo: one stop, exit 105, never "not found"', async () => {
  // A `centrifugo` on PATH (the tools cache emptied) whose second version probe — the one the Centrifugo
  // service makes as the stack starts — is slow, so the Ctrl-C lands while it runs.
  const real = findTool('centrifugo')?.path;
  assert.ok(real, 'the pinned Centrifugo is installed (centrifugo-bench setup)');
  const bin = tempDir('cb-signals-probe-');
  const probes = path.join(bin, 'probes');
  writeFileSync(
    path.join(bin, 'centrifugo'),
    `#!/bin/sh
if [ "$1" = version ]; then
  echo probe >> ${JSON.stringify(probes)}
  if [ "$(wc -l < ${JSON.stringify(probes)})" -eq 2 ]; then sleep 10; fi
fi
exec ${JSON.stringify(real)} "$@"
`,
  );
  chmodSync(path.join(bin, 'centrifugo'), 0o755);
  const run = start('npm run bench', {
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    XDG_CACHE_HOME: tempDir('cb-signals-cache-'),
    CENTRIFUGO_BENCH_CENTRIFUGO: undefined,
  });
  const probeCount = () => (existsSync(probes) ? readFileSync(probes, 'utf8').split('\n').length - 1 : 0);
  await until(() => probeCount() >= 2, 60_000, `the second version probe:\n${run.stderr()}`);
  await new Promise((r) => setTimeout(r, 500));
  process.kill(-run.child.pid!, 'SIGINT'); // a terminal's Ctrl-C reaches the whole foreground group
  const code = await run.exit;
  assert.doesNotMatch(run.stderr(), /was not found/);
  assert.doesNotMatch(run.stderr(), /second SIGINT/);
  assert.equal(code, ExitCode.externalAbort, run.stderr());
  await assertNothingLeft(run.tag);
});

test('the shell `npm run` starts the script in killed (it does not pass SIGTERM on): the orphaned run stops', async () => {
  // Debian's /bin/sh (dash) does not exec a script's last command and dies of the SIGTERM npm forwards;
  // bootstrap, orphaned, must not let the run go on with nobody waiting for it.
  const tag = randomUUID();
  const results = tempDir('cb-signals-results-');
  const command = `"${process.execPath}" "${BOOTSTRAP}" bench run --no-setup "${scenario}"; exit $?`;
  const shell = spawn('/bin/sh', ['-c', command], {
    cwd: ROOT,
    env: { ...process.env, [TAG]: tag, CENTRIFUGO_BENCH_RESULTS: results, npm_lifecycle_event: 'bench' },
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  groups.push(shell.pid!);
  let stderr = '';
  shell.stderr!.on('data', (c) => (stderr += c));
  await until(() => /engine +publish:/.test(stderr), 60_000, `the publish phase:\n${stderr}`);
  await new Promise((r) => setTimeout(r, 1000));
  shell.kill('SIGTERM');
  // Without the watch the run goes on to its end, unaware: no SIGTERM logged, not saved as aborted.
  await until(() => /stack +stopped/.test(stderr), 30_000, `the run to stop:\n${stderr}`);
  await assertNothingLeft(tag);
  assert.match(stderr, /SIGTERM received: stopping and tearing down/);
  assert.equal(onlySummary(results).aborted?.by, 'signal');
});
