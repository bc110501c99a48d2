/**
 * Fuzz-style: generated malformed scenarios and `--set` values — unknown keys at every level of every
 * shipped scenario, wrong types, extremes (negative, 1e12, 1e999 → Infinity, NaN) on every number — are
 * each refused by `loadPlan` with one UserError (exit 2) on one line, fast, before anything starts: the
 * results folder stays empty. A few go through the real binary too. Seeded, so a failure reproduces.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isUserError } from '../common/errors.ts';
import { ExitCode } from '../common/exit-codes.ts';
import { mulberry32 } from '../common/seeded-random.ts';
import { loadPlan, shippedScenarios } from './plan.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SEED = 11;
const saved = { results: process.env.CENTRIFUGO_BENCH_RESULTS, cwd: process.cwd() };
let resultsDir = '';
let casesDir = '';

before(() => {
  process.chdir(ROOT);
  resultsDir = mkdtempSync(path.join(os.tmpdir(), 'cb-fuzz-results-'));
  casesDir = mkdtempSync(path.join(os.tmpdir(), 'cb-fuzz-cases-'));
  process.env.CENTRIFUGO_BENCH_RESULTS = resultsDir;
});
after(() => {
  rmSync(resultsDir, { recursive: true, force: true });
  rmSync(casesDir, { recursive: true, force: true });
  if (saved.results === undefined) delete process.env.CENTRIFUGO_BENCH_RESULTS;
  else process.env.CENTRIFUGO_BENCH_RESULTS = saved.results;
  process.chdir(saved.cwd);
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every plain object in `value` with its path (objects inside arrays too). */
function* objectsIn(value: Json, at: Array<string | number> = []): Generator<[Array<string | number>, object]> {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* objectsIn(item, [...at, i]);
  } else if (value && typeof value === 'object') {
    yield [at, value];
    for (const [key, item] of Object.entries(value)) yield* objectsIn(item, [...at, key]);
  }
}

/** Every number in `value` outside arrays, with its dotted path (what `--set` can reach). */
function* numbersIn(value: Json, at: string[] = []): Generator<string> {
  if (typeof value === 'number') yield at.join('.');
  else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, item] of Object.entries(value)) yield* numbersIn(item, [...at, key]);
  }
}

/** A misspelling of one of the object's keys (two neighbours swapped), or a made-up key for an empty one. */
function misspelt(keys: string[], random: () => number): string {
  const candidates = keys.filter((key) => key.length >= 3);
  if (candidates.length === 0) return 'unknwon';
  const key = candidates[Math.floor(random() * candidates.length)]!;
  const i = 1 + Math.floor(random() * (key.length - 2));
  const typo = key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2);
  return keys.includes(typo) ? `${key}x` : typo;
}

function shownPath(at: Array<string | number>): string {
  return at.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i ? '.' : ''}${key}`)).join('');
}

async function scenarioInput(file: string): Promise<Json> {
  const module = (await import(pathToFileURL(path.join(ROOT, file)).href)) as { default: Json };
  return structuredClone(module.default);
}

/** Plans `file` with `overrides` and returns the UserError, asserting exit 2, one line and under 2 s. */
async function refusal(file: string, overrides: string[] = []): Promise<string> {
  const started = performance.now();
  try {
    await loadPlan(file, { overrides });
  } catch (error) {
    const ms = performance.now() - started;
    const what = `${file} ${overrides.join(' ')}`;
    assert.ok(isUserError(error), `${what}: ${String(error)}`);
    assert.equal(error.exitCode, ExitCode.badInput, what);
    assert.ok(!error.message.includes('\n'), `${what}: more than one line: ${error.message}`);
    assert.ok(error.message.length <= 1000, `${what}: ${error.message.length} characters`);
    assert.ok(ms < 2000, `${what}: refused after ${ms.toFixed(0)} ms`);
    return error.message;
  }
  assert.fail(`${file} ${overrides.join(' ')}: accepted`);
}

test('an unknown key at any level of any shipped scenario is refused, naming it', async () => {
  const random = mulberry32(SEED);
  let cases = 0;
  for (const file of shippedScenarios()) {
    const input = await scenarioInput(file);
    for (const [at, object] of objectsIn(input)) {
      if (at[0] === 'thresholds') continue; // thresholds: metric names, below
      const key = misspelt(Object.keys(object), random);
      const broken = structuredClone(input);
      let node = broken as Record<string | number, Json>;
      for (const step of at) node = node[step] as Record<string | number, Json>;
      node[key] = 1;
      const caseFile = path.join(casesDir, `case-${cases++}.ts`);
      writeFileSync(caseFile, `export default ${JSON.stringify(broken)};\n`);
      const message = await refusal(caseFile);
      const field = shownPath([...at, key]);
      assert.ok(message.includes(`${field}: unknown key`), `${file}, ${field}: ${message}`);
    }
  }
  assert.ok(cases > 30, `only ${cases} cases`);
});

test('an unknown threshold metric is refused with the nearest name', async () => {
  const message = await refusal('scenarios/smoke.ts', ['thresholds.delivery_latnecy=["p(99)<250"]']);
  assert.match(
    message,
    /thresholds\.delivery_latnecy: unknown metric "delivery_latnecy"; did you mean "delivery_latency"\?/,
  );
});

test('wrong types and extremes on every number of every shipped scenario are refused', async () => {
  const random = mulberry32(SEED);
  const extremes = ['-1', '1e12', '1e999', '-1e999', 'NaN', '"12"', 'true', 'null', '[]', '{}', '"x\\ny"'];
  let cases = 0;
  for (const file of shippedScenarios()) {
    const input = await scenarioInput(file);
    for (const field of numbersIn(input)) {
      // Every field gets the type-changing values and the extremes that no bound allows; a seeded pick of
      // the rest keeps the run short.
      const values = extremes.filter((value) => ['1e12', '1e999', 'NaN'].includes(value) || random() < 0.4);
      for (const value of values) {
        cases++;
        const message = await refusal(file, [`${field}=${value}`]);
        if (value === '1e12') assert.match(message, /: (at most|below) /, `${file} ${field}=1e12: ${message}`);
      }
    }
  }
  assert.ok(cases > 100, `only ${cases} cases`);
});

test('a whole section of the wrong type is refused', async () => {
  for (const section of ['stack', 'workload', 'workload.subscribers', 'workload.publishers', 'thresholds', 'results']) {
    for (const value of ['5', '"x"', '[]', 'null']) await refusal('scenarios/smoke.ts', [`${section}=${value}`]);
  }
});

test('nothing was planned into the results folder', () => {
  assert.deepEqual(readdirSync(resultsDir), []);
});

test('the binary refuses with exit 2 and one line, starts nothing, writes nothing', () => {
  const cases: Array<[string, RegExp]> = [
    ['stack.engnie=redis', /stack\.engnie: unknown key; did you mean engine\?/],
    ['workload.subscribers.count=1e12', /workload\.subscribers\.count: at most 1,000,000 subscribers per run/],
    ['workload.publishers.rate=1e15', /workload\.publishers\.rate: at most 1,000,000 iterations\/s/],
    ['workload.publishers.duration=99999999h', /workload\.publishers\.duration: at most 24h per run phase/],
    ['workload.publishers.rate=1e999', /workload\.publishers\.rate: expected a finite number, not Infinity/],
  ];
  for (const [assignment, expected] of cases) {
    const started = performance.now();
    const result = spawnSync(
      process.execPath,
      ['harness/cli/bin.mjs', 'run', 'scenarios/smoke.ts', '--no-setup', '--set', assignment],
      { cwd: ROOT, env: { ...process.env, CENTRIFUGO_BENCH_RESULTS: resultsDir }, encoding: 'utf8', timeout: 30_000 },
    );
    const ms = performance.now() - started;
    assert.equal(result.status, ExitCode.badInput, `${assignment}: ${result.stderr}`);
    const lines = result.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `${assignment}: ${result.stderr}`);
    assert.match(lines[0]!, expected);
    assert.ok(ms < 5000, `${assignment}: ${ms.toFixed(0)} ms`);
    assert.deepEqual(readdirSync(resultsDir), [], `${assignment} wrote into the results folder`);
  }
});
