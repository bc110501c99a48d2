import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UserError } from '../../common/errors.ts';
import type { RunInfo, RunSummary } from '../../common/summary-types.ts';
import { RunWriter } from '../../results/files/index.ts';
import { sampleSummary, trendValues } from '../../results/files/testing.ts';
import { readRunValues } from '../run-values.ts';
import { inspectBaseline } from './history-changes.ts';
import {
  BASELINE_FILES,
  checkComparable,
  listBaselines,
  loadBaseline,
  promoteEntry,
  readCurrent,
  readHistory,
  saveBaseline,
} from './store.ts';

let root: string;
let runsRoot: string;
let storeDir: string;
let storeCount = 0;

/** A fresh, empty baselines folder per test: saves in one test never see another's history. */
function freshStore(): { dir: string } {
  storeCount++;
  return { dir: path.join(storeDir, `store-${storeCount}`) };
}

interface RunSpec {
  scenario?: string;
  target?: string;
  rate?: number;
  engine?: string;
  cpuModel?: string;
  commit?: string;
  latencyMs?: number;
  summary?: Partial<RunSummary>;
  /** false: no run.json. */
  withInfo?: boolean;
}

function runInfo(runId: string, spec: RunSpec): RunInfo {
  const scenario = spec.scenario ?? 'fanout-smoke';
  return {
    schemaVersion: 1,
    runId,
    scenario: {
      name: scenario,
      file: `scenarios/${scenario}.ts`,
      config: {
        name: scenario,
        stack: { provider: 'local', engine: spec.engine ?? 'memory', centrifugoPorts: [8000] },
        workload: {
          subscribers: { count: 100, connectRate: 100 },
          publishers: {
            executor: 'constant-arrival-rate',
            ...(spec.target ? { target: spec.target } : {}),
            rate: spec.rate ?? 10,
            duration: '20s',
          },
          drain: '3s',
        },
        thresholds: { delivery_latency: ['p(99)<250'] },
      },
    },
    startedAt: '2026-11-23T12:00:00.000Z',
    git: { commit: spec.commit ?? 'a'.repeat(40), dirty: false },
    host: {
      hostname: `runner-${runId}`, // CI runners get a new name every job: not part of the fingerprint
      platform: 'linux',
      arch: 'x64',
      cpus: 2,
      cpuModel: spec.cpuModel ?? 'AMD EPYC 7763 64-Core Processor',
      memoryBytes: 8 * 2 ** 30,
    },
    node: 'v20.18.0',
    harnessVersion: '0.1.0',
    stack: { provider: 'local', engine: spec.engine ?? 'memory', nodes: 1 },
    versions: { centrifugo: '6.1.0' },
  };
}

let runCount = 0;

/** A finished run directory (summary.json and, unless withInfo is false, run.json); returns its path. */
async function writeRun(spec: RunSpec = {}): Promise<string> {
  runCount++;
  const runId = `20261123-1200${String(runCount).padStart(2, '0')}-r${runCount}`;
  const writer = await RunWriter.open({ runId, root: runsRoot });
  const metrics = sampleSummary().metrics;
  metrics.delivery_latency = { type: 'trend', unit: 'ms', ...trendValues(spec.latencyMs ?? 4.2, 120000) };
  await writer.writeSummary(
    sampleSummary({ runId, scenario: spec.scenario ?? 'fanout-smoke', metrics, ...spec.summary }),
  );
  if (spec.withInfo !== false) await writer.writeRunInfo(runInfo(runId, spec));
  await writer.close();
  return writer.dir;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => assert.fail('expected a UserError'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof UserError, String(error));
  assert.equal(error.exitCode, 2);
  return error.message;
}

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'cb-baselines-'));
  runsRoot = path.join(root, 'results');
  storeDir = path.join(root, 'stores');
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('saveBaseline / listBaselines / loadBaseline / promoteEntry', () => {
  test('round trip: save k runs, list, show, save without promoting, promote, load the current entry', async () => {
    const store = freshStore();
    const first = [
      await writeRun({ latencyMs: 4 }),
      await writeRun({ latencyMs: 5 }),
      await writeRun({ latencyMs: 6 }),
    ];
    const saved = await saveBaseline(first, { ...store, now: new Date('2026-11-23T12:00:00Z') });
    assert.equal(saved.current, true);
    assert.equal(saved.folder, path.resolve(store.dir, 'fanout-smoke', 'default'));
    assert.equal(saved.entry.runs.length, 3);
    assert.equal(saved.entry.scenario, 'fanout-smoke');
    assert.equal(saved.entry.savedAt, '2026-11-23T12:00:00.000Z');
    assert.equal(saved.entry.git.commit, 'a'.repeat(40));
    assert.equal(saved.entry.medians['delivery_latency mean'], 5); // the median of 4, 5, 6
    assert.match(saved.entry.identityHash, /^[0-9a-f]{12}$/);
    assert.deepEqual(saved.entry.host, {
      cpuModel: 'AMD EPYC 7763 64-Core Processor',
      cores: 2,
      memoryGiB: 8,
      platform: 'linux',
      arch: 'x64',
    });

    const currentFile = JSON.parse(await readFile(path.join(saved.folder, BASELINE_FILES.current), 'utf8'));
    assert.equal(currentFile.id, saved.entry.id);

    const second = await saveBaseline([await writeRun({ latencyMs: 9, commit: 'b'.repeat(40) })], {
      ...store,
      promote: false,
      now: new Date('2026-11-24T12:00:00Z'),
    });
    assert.equal(second.current, false);
    assert.equal((await readCurrent(saved.folder))?.id, saved.entry.id, '--no-promote keeps the current entry');

    const listings = await listBaselines(store);
    assert.equal(listings.length, 1);
    assert.equal(listings[0]!.scenario, 'fanout-smoke');
    assert.equal(listings[0]!.name, 'default');
    assert.equal(listings[0]!.entries, 2);
    assert.equal(listings[0]!.current?.id, saved.entry.id);

    const shown = await inspectBaseline('fanout-smoke', store);
    assert.equal(shown.folder, saved.folder);
    assert.equal(shown.current?.id, saved.entry.id);
    assert.deepEqual(
      shown.history.map((entry) => entry.id),
      [saved.entry.id, second.entry.id],
    );
    assert.deepEqual(shown.changes, [], 'too few entries for change points');

    const loaded = await loadBaseline('fanout-smoke/default', store);
    assert.equal(loaded.id, saved.entry.id);
    assert.equal(loaded.runs.length, 3);
    assert.deepEqual(
      loaded.runs.map((run) => run.values['delivery_latency mean']),
      [4, 5, 6],
    );

    const promoted = await promoteEntry(second.entry.id, store);
    assert.equal(promoted.entry.id, second.entry.id);
    assert.equal((await readCurrent(saved.folder))?.id, second.entry.id);
    assert.equal((await loadBaseline(saved.folder)).id, second.entry.id, 'a baseline folder loads too');
    assert.match(await refusal(promoteEntry('20990101-000000-ffff', store)), /no baseline entry 20990101-000000-ffff/);
  });

  test('the first entry of a name is current even when saved with promote: false', async () => {
    const store = freshStore();
    const saved = await saveBaseline([await writeRun()], { ...store, promote: false });
    assert.equal(saved.current, true);
    assert.equal((await readCurrent(saved.folder))?.id, saved.entry.id);
  });

  test('history keeps the order of saves, whatever the dates say', async () => {
    const store = freshStore();
    const ids: string[] = [];
    for (const day of [25, 23, 24]) {
      const saved = await saveBaseline([await writeRun()], { ...store, now: new Date(`2026-11-${day}T12:00:00Z`) });
      ids.push(saved.entry.id);
    }
    const folder = path.resolve(store.dir, 'fanout-smoke', 'default');
    assert.deepEqual(
      (await readHistory(folder)).map((entry) => entry.id),
      ids,
    );
    assert.deepEqual(
      (await readHistory(folder)).map((entry) => entry.savedAt.slice(8, 10)),
      ['25', '23', '24'],
    );
  });

  test('refuses an invalid run, naming it and why', async () => {
    const invalid = await writeRun({ summary: { valid: false, invalidReasons: ['generator CPU 97% > 80%'] } });
    const message = await refusal(saveBaseline([await writeRun(), invalid], freshStore()));
    assert.match(message, /not saving invalid runs/);
    assert.ok(message.includes(invalid), message);
    assert.match(message, /generator CPU 97% > 80%/);
  });

  test('refuses a run without run.json: what it measured is unknown', async () => {
    const bare = await writeRun({ withInfo: false });
    const message = await refusal(saveBaseline([bare], freshStore()));
    assert.ok(message.includes(bare), message);
    assert.match(message, /no run\.json/);
  });

  test('refuses runs that measured different things among themselves, naming the field and both values', async () => {
    const a = await writeRun({ rate: 10 });
    const b = await writeRun({ rate: 20 });
    const message = await refusal(saveBaseline([a, b], freshStore()));
    assert.match(message, /are not one baseline/);
    assert.match(message, /workload\.publishers\.rate: 10 in \S+, 20 in \S+/);
  });

  test('refuses runs of different builds or machines as one entry', async () => {
    const message = await refusal(
      saveBaseline([await writeRun(), await writeRun({ commit: 'c'.repeat(40) })], freshStore()),
    );
    assert.match(message, new RegExp(`gitCommit: "${'a'.repeat(40)}" in \\S+, "${'c'.repeat(40)}" in \\S+`));
  });

  test('refuses to save under a name whose history has another identity; another --name works', async () => {
    const store = { ...freshStore(), name: 'main' };
    await saveBaseline([await writeRun({ rate: 10 })], store);
    const changed = await writeRun({ rate: 50 });
    const message = await refusal(saveBaseline([changed], store));
    assert.match(message, /baseline fanout-smoke\/main holds runs of another scenario shape/);
    assert.match(message, /workload\.publishers\.rate: 10 in its history, 50 in these runs/);
    assert.match(message, /another --name/);
    const renamed = await saveBaseline([changed], { ...store, name: 'rate-50' });
    assert.equal(renamed.folder, path.resolve(store.dir, 'fanout-smoke', 'rate-50'));
    assert.deepEqual(
      (await listBaselines(store)).map((listing) => `${listing.scenario}/${listing.name}`),
      ['fanout-smoke/main', 'fanout-smoke/rate-50'],
    );
    assert.match(await refusal(inspectBaseline('fanout-smoke', store)), /holds several baselines \(main, rate-50\)/);
    assert.equal((await inspectBaseline('fanout-smoke/rate-50', store)).folder, renamed.folder);
  });

  test('refuses a bad name and an empty list of runs', async () => {
    assert.match(await refusal(saveBaseline([], freshStore())), /at least one run directory/);
    assert.match(
      await refusal(saveBaseline([await writeRun()], { ...freshStore(), name: '../x' })),
      /--name \.\.\/x: use letters/,
    );
  });

  test('an unknown baseline is a UserError naming the store', async () => {
    const store = freshStore();
    assert.match(await refusal(loadBaseline('nope', store)), /no baseline at nope/);
    assert.match(await refusal(inspectBaseline('nope', store)), /no baseline nope under/);
  });
});

describe('checkComparable', () => {
  let store: { dir: string };
  let source: string;
  before(async () => {
    store = freshStore();
    await saveBaseline([await writeRun(), await writeRun()], store);
    source = path.resolve(store.dir, 'fanout-smoke', 'default');
  });

  async function candidate(spec: RunSpec) {
    return [await readRunValues(await writeRun(spec))];
  }

  async function comparisonRefusal(spec: RunSpec, anyHost = false): Promise<string> {
    const baseline = await loadBaseline('fanout-smoke', store);
    const runs = await candidate(spec);
    let message = '';
    assert.throws(
      () => checkComparable(baseline, runs, { anyHost }),
      (error: unknown) => {
        assert.ok(error instanceof UserError);
        message = error.message;
        return true;
      },
    );
    assert.ok(message.includes(path.relative(process.cwd(), source)), `names the baseline: ${message}`);
    return message;
  }

  test('the same scenario, target, rate and engine on the same kind of machine → comparable', async () => {
    const baseline = await loadBaseline('fanout-smoke', store);
    // An explicit default target is the same target, and the hostname is not part of the fingerprint.
    checkComparable(baseline, await candidate({ target: 'centrifugo-broadcast' }));
  });

  test('another scenario name → refused, naming both', async () => {
    const message = await comparisonRefusal({ scenario: 'chat' });
    assert.match(message, /is of scenario "fanout-smoke", these runs of "chat"/);
  });

  test('another publish target → refused, naming the field and both values', async () => {
    const message = await comparisonRefusal({ target: 'chat-app' });
    assert.match(message, /target: "centrifugo-broadcast" in the baseline, "chat-app" here/);
    assert.match(message, /workload\.publishers\.target: "centrifugo-broadcast" in the baseline, "chat-app" here/);
  });

  test('another rate → refused, naming the field and both values', async () => {
    const message = await comparisonRefusal({ rate: 25 });
    assert.match(message, /workload\.publishers\.rate: 10 in the baseline, 25 here/);
  });

  test('another engine → refused, naming the field and both values', async () => {
    const message = await comparisonRefusal({ engine: 'redis' });
    assert.match(message, /stack\.engine: "memory" in the baseline, "redis" here/);
  });

  test('another kind of machine → refused, naming the field and both values; accepted with anyHost', async () => {
    const message = await comparisonRefusal({ cpuModel: 'Intel Xeon Platinum 8370C' });
    assert.match(
      message,
      /cpuModel: "AMD EPYC 7763 64-Core Processor" in the baseline, "Intel Xeon Platinum 8370C" here/,
    );
    assert.match(message, /--any-host/);
    const baseline = await loadBaseline('fanout-smoke', store);
    checkComparable(baseline, await candidate({ cpuModel: 'Intel Xeon Platinum 8370C' }), { anyHost: true });
  });

  test('candidate runs that differ among themselves → refused, naming both runs', async () => {
    const baseline = await loadBaseline('fanout-smoke', store);
    const runs = [...(await candidate({ rate: 10 })), ...(await candidate({ rate: 11 }))];
    assert.throws(
      () => checkComparable(baseline, runs),
      (error: unknown) =>
        error instanceof UserError &&
        /runs \S+ and \S+ measured different things: workload\.publishers\.rate: 10 in \S+, 11 in \S+/.test(
          error.message,
        ),
    );
  });

  test('a plain run directory loads as a one-run baseline with its identity and host', async () => {
    const dir = await writeRun({ latencyMs: 7 });
    const baseline = await loadBaseline(dir, store);
    assert.equal(baseline.id, path.basename(dir));
    assert.equal(baseline.source, dir);
    assert.equal(baseline.runs.length, 1);
    assert.equal(baseline.runs[0]!.values['delivery_latency mean'], 7);
    assert.equal(baseline.identity?.scenario, 'fanout-smoke');
    assert.equal(baseline.hostFingerprint?.cores, 2);
    checkComparable(baseline, await candidate({}));
    assert.throws(() => checkComparable(baseline, []), /no runs to compare/);
  });
});
