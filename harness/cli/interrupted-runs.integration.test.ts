/**
 * Runs that do not end the normal way, through the real binary: the printed verdict and the exit code
 * agree, an interrupted run is saved as a partial (invalid) run that no gate passes, the run's own
 * ClickHouse dying does not stop the load, and a stack that never started leaves no empty run folder.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { ExitCode } from '../common/exit-codes.ts';
import type { RunSummary } from '../common/summary-types.ts';
import { BIN, scenarioFile, tempDir } from './testing.ts';

const scenarios = tempDir('cb-interrupted-');
const scenario = (name: string, body: string) => scenarioFile(scenarios, name, body);

const publishing = (extra = '') => `{
  name: 'interrupted',
  stack: { engine: 'memory' ${extra} },
  workload: {
    subscribers: { count: 20, connectRate: 200 },
    publishers: { executor: 'constant-arrival-rate', rate: 10, duration: '8s', preAllocatedVUs: 2, maxVUs: 5 },
    drain: '2s',
  },
  thresholds: { messages_lost: ['count==0'] },
  results: { report: false RESULTS },
}`;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  results: string;
}

/** Runs the binary; `whilePublishing` acts once the publish phase has begun. */
async function run(file: string, whilePublishing?: (child: ChildProcess) => void): Promise<Finished> {
  const results = tempDir('cb-interrupted-results-');
  const env: NodeJS.ProcessEnv = { ...process.env, CENTRIFUGO_BENCH_RESULTS: results };
  delete env.CENTRIFUGO_BENCH_CLICKHOUSE_URL;
  const child = spawn(process.execPath, [BIN, 'run', '--no-setup', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let acted = false;
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => {
    stderr += c;
    if (whilePublishing && !acted && /engine +publish:/.test(stderr)) {
      acted = true;
      setTimeout(() => whilePublishing(child), 1500);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (whilePublishing) assert.ok(acted, `the run never reached its publish phase:\n${stderr}`);
  return { code, stdout, stderr, results };
}

function onlyRun(results: string): { dir: string; summary: RunSummary } {
  const runs = readdirSync(results).filter((d) => !d.startsWith('.'));
  assert.equal(runs.length, 1, `one run directory in ${results}`);
  const dir = path.join(results, runs[0]!);
  return { dir, summary: JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary };
}

/** SIGKILLs the child of `parent` whose command name starts with `name` (a service the harness started). */
function killChild(parent: ChildProcess, name: string): void {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' }).trim().split('\n');
  const match = rows
    .map((row) => row.trim().split(/\s+/))
    .find(([, ppid, comm]) => Number(ppid) === parent.pid && comm?.startsWith(name));
  assert.ok(match, `no ${name} process under the harness (pid ${parent.pid})`);
  process.kill(Number(match[0]), 'SIGKILL');
}

/** The verdict line ends the terminal summary: `✗ STOPPED — …  (exit 105)`. */
function printedExit(stdout: string): number {
  const found = /\(exit (\d+)\)\s*$/.exec(stdout);
  assert.ok(found, `no verdict line in:\n${stdout}`);
  return Number(found[1]);
}

test('Ctrl-C mid-run: STOPPED (exit 105) printed and returned; saved as a partial run that no gate passes', async () => {
  const file = scenario('stopped', publishing().replace(' RESULTS', ''));
  const { code, stdout, stderr, results } = await run(file, (child) => child.kill('SIGINT'));
  assert.equal(code, ExitCode.externalAbort, stderr);
  assert.equal(printedExit(stdout), ExitCode.externalAbort);
  assert.match(stdout, /✗ STOPPED — /);
  const { dir, summary } = onlyRun(results);
  assert.equal(summary.aborted?.by, 'signal');
  assert.equal(summary.valid, false);
  assert.match(summary.invalidReasons.join('\n'), /partial run: interrupted after \d+ s \(signal: stopped by SIGINT\)/);
  assert.match(readFileSync(path.join(dir, 'summary.md'), 'utf8'), /exit code 105/);
  assert.match(readFileSync(path.join(dir, 'junit.xml'), 'utf8'), /partial run/);

  const gate = spawn(process.execPath, [BIN, 'gate', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let gateOut = '';
  gate.stdout!.on('data', (c) => (gateOut += c));
  const gateCode = await new Promise<number | null>((resolve) => gate.once('exit', resolve));
  assert.equal(gateCode, ExitCode.invalidRun, gateOut);
  assert.equal(printedExit(gateOut), ExitCode.invalidRun);
});

test('Centrifugo killed mid-run: RUN FAILED (exit 1) printed and returned, the run saved as partial', async () => {
  const file = scenario('crashed', publishing().replace(' RESULTS', ''));
  const { code, stdout, stderr, results } = await run(file, (child) => killChild(child, 'centrifugo'));
  assert.equal(code, ExitCode.harnessError, stderr);
  assert.equal(printedExit(stdout), ExitCode.harnessError);
  assert.match(stdout, /✗ RUN FAILED — centrifugo-1 exited unexpectedly/);
  const { summary } = onlyRun(results);
  assert.equal(summary.aborted?.by, 'error');
  assert.equal(summary.valid, false);
});

test("the run's own ClickHouse dying does not stop the load run: exit 0, valid, files complete", async () => {
  const file = scenario('clickhouse', publishing().replace(' RESULTS', ', clickhouse: true'));
  const { code, stdout, stderr, results } = await run(file, (child) => killChild(child, 'clickhouse'));
  assert.equal(code, ExitCode.ok, stderr);
  assert.equal(printedExit(stdout), ExitCode.ok);
  assert.match(stderr, /clickhouse exited unexpectedly .*the stack goes on/);
  const { summary } = onlyRun(results);
  assert.equal(summary.valid, true);
  assert.equal(summary.aborted, null);
  const lost = summary.metrics.messages_lost;
  assert.ok(lost?.type === 'counter' && lost.count === 0);
});

test('a stack that never started leaves no empty run folder behind', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  try {
    const port = (taken.address() as { port: number }).port;
    const file = scenario('taken', publishing(`, centrifugoPorts: [${port}]`).replace(' RESULTS', ''));
    const { code, stderr, results } = await run(file);
    assert.equal(code, ExitCode.badInput, stderr);
    assert.match(stderr, new RegExp(`error: .*${port}`));
    assert.deepEqual(
      readdirSync(results).filter((d) => existsSync(path.join(results, d))),
      [],
      'no results/<run-id>/ folder',
    );
  } finally {
    taken.close();
  }
});
