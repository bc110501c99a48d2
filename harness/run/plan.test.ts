/**
 * The plan: every shipped scenario plans without error and comes out frozen; what the plan adds to the
 * stack and which outputs it selects; bad input is exit 2 before anything starts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isUserError } from '../common/errors.ts';
import { ExitCode } from '../common/exit-codes.ts';
import { loadPlan } from './plan.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCENARIOS = path.join(ROOT, 'scenarios');
const DEFINE = path.join(SCENARIOS, 'lib/scenario.ts');
const saved = {
  results: process.env.CENTRIFUGO_BENCH_RESULTS,
  clickhouse: process.env.CENTRIFUGO_BENCH_CLICKHOUSE_URL,
};
let dir = '';

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cb-plan-'));
  // No kept ClickHouse: no `stack up` stack in an empty results folder, no URL in the environment.
  process.env.CENTRIFUGO_BENCH_RESULTS = dir;
  delete process.env.CENTRIFUGO_BENCH_CLICKHOUSE_URL;
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const [key, value] of [
    ['CENTRIFUGO_BENCH_RESULTS', saved.results],
    ['CENTRIFUGO_BENCH_CLICKHOUSE_URL', saved.clickhouse],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

/** .mts: outside the repository (no package.json with "type": "module") a .ts file would load as CommonJS. */
function scenarioFile(name: string, body: string): string {
  const file = path.join(dir, `${name}.mts`);
  writeFileSync(
    file,
    `import { defineScenario } from ${JSON.stringify(DEFINE)};\nexport default defineScenario(${body});\n`,
  );
  return file;
}

const TINY = `{
  name: 'tiny',
  workload: {
    subscribers: { count: 10 },
    publishers: { executor: 'constant-arrival-rate', rate: 1, duration: '1s', preAllocatedVUs: 1 },
  },
  thresholds: { messages_lost: ['count==0'] },
}`;

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isUserError(error), `expected a UserError, got ${String(error)}`);
    assert.equal(error.exitCode, ExitCode.badInput);
    assert.match(error.message, pattern);
    return true;
  });
}

test('every shipped scenario plans, and its plan is frozen all the way down', async () => {
  const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 7, `expected the shipped scenarios, found ${files.join(', ')}`);
  for (const name of files) {
    const plan = await loadPlan(path.join(SCENARIOS, name));
    assert.equal(plan.driver, plan.scenario.push ? 'push' : 'websocket', name);
    assert.ok(Object.isFrozen(plan), name);
    assert.ok(Object.isFrozen(plan.scenario), name);
    assert.ok(Object.isFrozen(plan.stack.services), name);
    const section = plan.scenario.workload ?? plan.scenario.push;
    assert.ok(section && Object.isFrozen(section), name);
    assert.throws(() => {
      (plan.stack.services as string[]).push('redis');
    }, TypeError);
  }
});

test('a dataset adds PostgreSQL to the stack; the scenario itself is left as written', async () => {
  const plan = await loadPlan(path.join(SCENARIOS, 'compare.ts'));
  assert.ok(plan.stack.services.includes('postgres'));
  assert.ok(plan.scenario.dataset);
  assert.deepEqual(plan.input.stack?.services, undefined);
});

test('results.clickhouse with no ClickHouse that outlives the run: the stack gets its own, with a warning', async () => {
  const file = scenarioFile('ch', TINY.replace("name: 'tiny',", "name: 'ch', results: { clickhouse: true },"));
  const plan = await loadPlan(file);
  assert.deepEqual(plan.outputs.clickhouse, { fromStack: true });
  assert.ok(plan.stack.services.includes('clickhouse'));
  assert.match(plan.warnings.join('\n'), /no ClickHouse outlives this run/);
});

test('--out selects outputs like k6: clickhouse with or without a URL, and names the known ones when wrong', async () => {
  const file = scenarioFile('outs', TINY);
  const plain = await loadPlan(file);
  assert.equal(plain.outputs.clickhouse, undefined);
  assert.equal(plain.outputs.report, true);
  const withUrl = await loadPlan(file, { outs: ['clickhouse=http://127.0.0.1:8123/bench'] });
  assert.deepEqual(withUrl.outputs.clickhouse, { url: 'http://127.0.0.1:8123/bench', fromStack: false });
  assert.ok(!withUrl.stack.services.includes('clickhouse'));
  assert.equal((await loadPlan(file, { report: false })).outputs.report, false);
  await rejects(
    loadPlan(file, { outs: ['influxdb=http://x'] }),
    /--out influxdb=http:\/\/x: unknown output; use one of clickhouse\[=url\], prometheus\[=url\], report, json=<file>, csv=<file>/,
  );
});

test('a ClickHouse URL that is not loopback is refused unless the scenario opts in with stack.allowRemoteTargets', async () => {
  const file = scenarioFile('remote-ch', TINY);
  await rejects(
    loadPlan(file, { outs: ['clickhouse=http://10.1.2.3:8123'] }),
    /--out clickhouse → 10\.1\.2\.3.*stack\.allowRemoteTargets: true/,
  );
  const inScenario = scenarioFile(
    'remote-ch-results',
    TINY.replace("name: 'tiny',", "name: 'remote-ch-results', results: { clickhouse: 'http://0.0.0.0:8123/bench' },"),
  );
  await rejects(loadPlan(inScenario), /results\.clickhouse → 0\.0\.0\.0/);
  const kept = scenarioFile(
    'remote-ch-kept',
    TINY.replace("name: 'tiny',", "name: 'kept', results: { clickhouse: true },"),
  );
  process.env.CENTRIFUGO_BENCH_CLICKHOUSE_URL = 'http://clickhouse.example.com:8123/bench';
  try {
    await rejects(loadPlan(kept), /\$CENTRIFUGO_BENCH_CLICKHOUSE_URL → clickhouse\.example\.com/);
  } finally {
    delete process.env.CENTRIFUGO_BENCH_CLICKHOUSE_URL;
  }
  const optedIn = await loadPlan(file, {
    outs: ['clickhouse=http://10.1.2.3:8123'],
    overrides: ['stack.allowRemoteTargets=true'],
  });
  assert.deepEqual(optedIn.outputs.clickhouse, { url: 'http://10.1.2.3:8123', fromStack: false });
});

test('--no-thresholds plans no thresholds; --set changes the scenario before validation', async () => {
  const file = scenarioFile('set', TINY);
  assert.equal((await loadPlan(file)).thresholds.length, 1);
  assert.equal((await loadPlan(file, { thresholds: false })).thresholds.length, 0);
  const plan = await loadPlan(file, { overrides: ['workload.publishers.rate=7', 'stack.engine=redis'] });
  assert.equal((plan.scenario.workload!.publishers as { rate?: number }).rate, 7);
  assert.equal(plan.stack.engine, 'redis');
  await rejects(loadPlan(file, { overrides: ['workload.publishers.rate'] }), /expected path=value/);
});

test('what the stack lacks for the run is refused before anything starts', async () => {
  const chatApp = scenarioFile(
    'chat',
    TINY.replace(
      "publishers: { executor: 'constant-arrival-rate'",
      "publishers: { target: 'chat-app', executor: 'constant-arrival-rate'",
    ),
  );
  await rejects(loadPlan(chatApp), /chat-app needs the chat app in the stack/);
  await rejects(loadPlan(path.join(dir, 'missing.ts')), /no scenario file at/);
  // A flood's own sink fault profile is checked now, not when the flood applies it after registering.
  const flood = scenarioFile(
    'flood',
    `{ name: 'flood', stack: { pushRelay: {}, pushSink: {} },
       push: { devices: { count: 10 }, pushes: { total: 10 }, sinkFaults: { windos: [] } } }`,
  );
  await rejects(loadPlan(flood), /push\.sinkFaults\.windos: unknown key; did you mean windows\?/);
  // Fault steps need a stack the run controls: refused against an external one, before anything starts.
  const externalFaults = scenarioFile(
    'external-faults',
    TINY.replace("name: 'tiny',", "name: 'tiny', stack: { provider: 'external', stackFile: 'stack.json' },").replace(
      "publishers: { executor: 'constant-arrival-rate'",
      "faults: [{ at: '1s', action: 'kill-centrifugo-node', node: 1 }], publishers: { executor: 'constant-arrival-rate'",
    ),
  );
  await rejects(
    loadPlan(externalFaults),
    /workload\.faults: kill-centrifugo-node act on the stack's processes, which provider external does not control/,
  );
});

test('--out json=<file> and csv=<file>: paths from the working directory, repeatable, refused before anything starts', async () => {
  const file = scenarioFile('k6-files', TINY);
  const relative = path.relative(process.cwd(), path.join(dir, 'run.json'));
  const plan = await loadPlan(file, {
    outs: [`json=${relative}`, `csv=${path.join(dir, 'run.csv.gz')}`, `json=${path.join(dir, 'second.json')}`],
  });
  assert.deepEqual(plan.outputs.json, [path.join(dir, 'run.json'), path.join(dir, 'second.json')]);
  assert.deepEqual(plan.outputs.csv, [path.join(dir, 'run.csv.gz')]);
  assert.ok(Object.isFrozen(plan.outputs.json));
  assert.equal((await loadPlan(file)).outputs.json, undefined);
  await rejects(
    loadPlan(file, { outs: [`json=${path.join(dir, 'no-such-folder', 'run.json')}`] }),
    /--out json=.*no-such-folder.*: folder .*no-such-folder does not exist/,
  );
  await rejects(loadPlan(file, { outs: ['csv'] }), /--out csv: name the file, e.g. --out csv=results\/run\.csv/);
  await rejects(loadPlan(file, { outs: [`csv=${dir}`] }), /is a folder; name a file in it/);
  await rejects(
    loadPlan(file, { outs: [`json=${path.join(dir, 'same')}`, `csv=${path.join(dir, 'same')}`] }),
    /--out csv=.*same: .*same is already written by --out json=/,
  );
});
