/**
 * `init`, like `k6 new`: it writes a scenario, a baselines folder and a CI workflow that refers to both,
 * refuses to overwrite them, and the scenario runs unchanged — through `npm run bench` from this clone, and
 * through the package import where centrifugo-bench is installed as a dependency.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ExitCode } from '../common/exit-codes.ts';
import type { RunSummary } from '../common/summary-types.ts';
import { loadPlan } from '../run/index.ts';
import { assertNothingLeft, BIN, REPO_ROOT, TAG, tempDir } from './testing.ts';

const SCENARIO = 'scenarios/smoke.mts';
const BASELINES_README = 'baselines/README.md';
const WORKFLOW = '.github/workflows/bench.yml';

function init(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, 'init', ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface WorkflowStep {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

interface WorkflowJob {
  if?: string;
  'runs-on': string;
  permissions?: Record<string, string>;
  steps: WorkflowStep[];
}

function readWorkflow(file: string): { on: Record<string, unknown>; jobs: Record<string, WorkflowJob> } {
  return parse(readFileSync(file, 'utf8'));
}

const repo = tempDir('cb-init-');

test('init writes a scenario, a baselines folder and a CI workflow whose steps use them', () => {
  const { code, stdout, stderr } = init(repo);
  assert.equal(code, ExitCode.ok, stderr);
  for (const file of [SCENARIO, BASELINES_README, WORKFLOW]) {
    assert.ok(existsSync(path.join(repo, file)), `${file} written`);
    assert.match(stdout, new RegExp(`wrote ${path.join(repo, file).replaceAll('.', '\\.')}`));
  }
  assert.match(stdout, /^next: cd .+ && node .+bin\.mjs run scenarios\/smoke\.mts$/m, 'the next command to run');
  // Run from a clone (no centrifugo-bench in the folder's node_modules): the absolute path is the import.
  assert.match(
    readFileSync(path.join(repo, SCENARIO), 'utf8'),
    new RegExp(`from '${path.join(REPO_ROOT, 'scenarios/lib/scenario.ts')}'`),
  );
  const baselinesReadme = readFileSync(path.join(repo, BASELINES_README), 'utf8');
  assert.match(baselinesReadme, /baseline save results\/runs\/\*\/\*\/ --name main --dir baselines/);
  assert.match(baselinesReadme, /baseline show smoke\/main/);
  assert.match(baselinesReadme, /baseline promote <entry-id>/);

  const workflow = readWorkflow(path.join(repo, WORKFLOW));
  assert.ok('pull_request' in workflow.on && 'push' in workflow.on);
  const job = workflow.jobs.bench!;
  assert.match(job['runs-on'], /^ubuntu-/);
  const steps = job.steps;
  const uses = (action: string) => steps.find((s) => s.uses?.startsWith(`${action}@`));
  assert.ok(uses('actions/checkout'));
  assert.equal(uses('actions/setup-node')?.with?.['node-version'], 20);
  assert.ok(steps.some((s) => s.run === 'npm ci'));

  const run = steps.find((s) => s.run?.includes('centrifugo-bench run '));
  const scenarioArg = run?.run?.match(/centrifugo-bench run (\S+)/)?.[1];
  assert.equal(scenarioArg, SCENARIO, 'the workflow runs the scaffolded scenario');
  assert.match(run?.run ?? '', /for i in \$\(seq 8\)/, 'k runs, not one: the gate judges runs');

  const gate = steps.find((s) => s.run?.includes('centrifugo-bench gate '));
  assert.ok(gate?.run, 'a gate step');
  assert.match(gate.run, /--junit \S+/);
  assert.match(gate.run, /--markdown "\$GITHUB_STEP_SUMMARY"/);
  assert.match(gate.run, /centrifugo-bench gate results\/runs\/\*\/\*\/ /, 'the gate judges the k runs together');
  assert.equal(gate.run.match(/--baseline (\S+)/)?.[1], 'smoke/main');
  const baselinesDir = gate.run.match(/--baselines-dir (\S+?)\)/)?.[1];
  assert.equal(baselinesDir, 'baselines');
  assert.ok(existsSync(path.join(repo, baselinesDir)), 'the baselines folder it names is in the scaffold');
  assert.match(gate.if ?? '', /!cancelled\(\)/, 'the gate reports a failed run too');
  assert.ok(!steps.some((s) => s.run?.includes('baseline save')), 'the job that runs pull requests saves nothing');

  const upload = uses('actions/upload-artifact');
  assert.equal(upload?.with?.path, 'results/');

  // On main only, the runs become the next baseline entry, in the folder the gate reads.
  const saveJobs = Object.values(workflow.jobs).filter((j) => j.steps.some((s) => s.run?.includes('baseline save')));
  assert.equal(saveJobs.length, 1, 'one job saves the baseline');
  const saveJob = saveJobs[0]!;
  assert.match(saveJob.if ?? '', /github\.ref == 'refs\/heads\/main'/);
  assert.match(saveJob.if ?? '', /github\.event_name == 'push'/);
  const save = saveJob.steps.find((s) => s.run?.includes('baseline save'))!;
  assert.match(save.run!, /centrifugo-bench baseline save results\/runs\/\*\/\*\/ --name main --dir baselines\b/);
});

test('init refuses to overwrite (exit 2, one line) unless --force', () => {
  const scenario = path.join(repo, SCENARIO);
  appendFileSync(scenario, '// edited by the user\n');
  const { code, stdout, stderr } = init(repo);
  assert.equal(code, ExitCode.badInput);
  assert.equal(stdout, '');
  assert.equal(stderr.trimEnd().split('\n').length, 1, stderr);
  assert.match(stderr, /scenarios\/smoke\.mts.*already in.*--force/);
  assert.match(readFileSync(scenario, 'utf8'), /edited by the user/, 'nothing overwritten');

  const forced = init(repo, '--force');
  assert.equal(forced.code, ExitCode.ok, forced.stderr);
  assert.doesNotMatch(readFileSync(scenario, 'utf8'), /edited by the user/);
});

test('the scaffolded scenario runs unchanged with npm run bench -- run', { timeout: 180_000 }, async () => {
  const results = tempDir('cb-init-results-');
  const tag = randomUUID();
  const child = spawn('npm', ['run', '--silent', 'bench', '--', 'run', path.join(repo, SCENARIO), '--no-setup'], {
    cwd: REPO_ROOT,
    env: { ...process.env, CENTRIFUGO_BENCH_RESULTS: results, [TAG]: tag },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, ExitCode.ok, output);

  const runs = readdirSync(results).filter((d) => !d.startsWith('.'));
  assert.equal(runs.length, 1, 'one run directory');
  const summary = JSON.parse(readFileSync(path.join(results, runs[0]!, 'summary.json'), 'utf8')) as RunSummary;
  assert.equal(summary.valid, true);
  assert.ok(summary.thresholds.length > 0 && summary.thresholds.every((t) => t.ok));
  await assertNothingLeft(tag);
});

test('where centrifugo-bench is installed, the scenario imports the package and loads', async () => {
  // What `npm install` leaves in a user's repository: a copy of the package (its .ts sources included)
  // in node_modules; its own dependencies are this clone's.
  const userRepo = tempDir('cb-init-installed-');
  const installed = path.join(userRepo, 'node_modules/centrifugo-bench');
  mkdirSync(installed, { recursive: true });
  for (const entry of ['package.json', 'scenarios', 'harness']) {
    cpSync(path.join(REPO_ROOT, entry), path.join(installed, entry), { recursive: true });
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(installed, 'node_modules'));

  const { code, stdout, stderr } = init(userRepo);
  assert.equal(code, ExitCode.ok, stderr);
  assert.match(stdout, /^next: cd .+ && npx centrifugo-bench run scenarios\/smoke\.mts$/m);
  const file = path.join(userRepo, SCENARIO);
  assert.match(readFileSync(file, 'utf8'), /from 'centrifugo-bench\/scenarios\/lib\/scenario\.ts'/);

  const plan = await loadPlan(file);
  assert.equal(plan.scenario.name, 'smoke');
  assert.equal(plan.driver, 'websocket');
});

test("this repository's example workflow: interleaved A/B on pull requests, baseline history on main", () => {
  const workflow = readWorkflow(path.join(REPO_ROOT, WORKFLOW));
  assert.ok('pull_request' in workflow.on && 'push' in workflow.on);

  const abJob = workflow.jobs.ab!;
  assert.match(abJob['runs-on'], /^ubuntu-/);
  const ab = abJob.steps.find((s) => s.run?.includes('centrifugo-bench ab '))?.run;
  assert.ok(ab, 'the ab job runs centrifugo-bench ab');
  assert.match(ab, /centrifugo-bench ab scenarios\/smoke\.ts /);
  assert.ok(existsSync(path.join(REPO_ROOT, 'scenarios/smoke.ts')));
  assert.match(ab, /--pairs \S+/);
  assert.match(ab, /--a-env CENTRIFUGO_BENCH_CENTRIFUGO=\S+/);
  assert.match(ab, /--b-env CENTRIFUGO_BENCH_CENTRIFUGO=\S+/);
  assert.match(ab, /--junit \S+/);
  assert.match(ab, /--markdown "\$GITHUB_STEP_SUMMARY"/);
  assert.ok(!abJob.steps.some((s) => s.run?.includes('baseline save')), 'pull requests save no baseline');
  const actions = Object.values(workflow.jobs).flatMap((j) => j.steps.flatMap((s) => (s.uses ? [s.uses] : [])));
  assert.deepEqual(
    actions.filter((action) => !action.startsWith('actions/')),
    [],
    "GitHub's own actions only (the PR comment uses gh)",
  );

  const history = workflow.jobs.history!;
  assert.match(history.if ?? '', /github\.event_name == 'push'/);
  assert.match(history.if ?? '', /github\.ref == 'refs\/heads\/main'/);
  assert.equal(history.permissions?.contents, 'write', 'it commits baselines/ back');
  const runs = history.steps.find((s) => s.run?.includes('centrifugo-bench run '))?.run;
  assert.match(runs ?? '', /for i in \$\(seq \d+\)/, 'k runs');
  const save = history.steps.find((s) => s.run?.includes('baseline save'))?.run;
  assert.match(save ?? '', /centrifugo-bench baseline save \S+ --name main --dir baselines\b/);
  assert.match(save ?? '', /centrifugo-bench baseline show smoke\/main --dir baselines\b/);
  const saveJobs = Object.entries(workflow.jobs).filter(([, j]) =>
    j.steps.some((s) => s.run?.includes('baseline save')),
  );
  assert.deepEqual(
    saveJobs.map(([name]) => name),
    ['history'],
    'only the main-only job saves',
  );
});
