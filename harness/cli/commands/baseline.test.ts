import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { Command } from 'commander';
import type { RunInfo } from '../../common/summary-types.ts';
import { saveBaseline } from '../../gate/index.ts';
import { RunWriter } from '../../results/files/index.ts';
import { sampleSummary, trendValues } from '../../results/files/testing.ts';
import { baselineList, baselinePromote, baselineSave, baselineShow, registerBaseline } from './baseline.ts';

// Self-contained: a ClickHouse URL in the environment would make every save also copy there.
delete process.env.CENTRIFUGO_BENCH_CLICKHOUSE_URL;

let root: string;
let runCount = 0;

function runInfo(runId: string, commit: string): RunInfo {
  return {
    schemaVersion: 1,
    runId,
    scenario: {
      name: 'fanout-smoke',
      file: 'scenarios/fanout-smoke.ts',
      config: {
        name: 'fanout-smoke',
        stack: { provider: 'local', engine: 'memory' },
        workload: { subscribers: { count: 100 }, publishers: { rate: 10, duration: '20s' } },
      },
    },
    startedAt: '2026-11-23T12:00:00.000Z',
    git: { commit, dirty: false },
    host: { hostname: 'ci', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'Test CPU', memoryBytes: 8 * 2 ** 30 },
    node: 'v20.18.0',
    harnessVersion: '0.1.0',
    stack: { provider: 'local', engine: 'memory', nodes: 1 },
    versions: { centrifugo: '6.1.0' },
  };
}

/** A finished run (summary.json + run.json) with mean delivery latency `latencyMs`; returns its directory. */
async function writeRun(latencyMs: number, commit = 'a'.repeat(40)): Promise<string> {
  runCount++;
  const runId = `20261123-12${String(runCount).padStart(4, '0')}-c${runCount}`;
  const writer = await RunWriter.open({ runId, root: path.join(root, 'results') });
  const metrics = sampleSummary().metrics;
  metrics.delivery_latency = { type: 'trend', unit: 'ms', ...trendValues(latencyMs, 120000) };
  await writer.writeSummary(sampleSummary({ runId, metrics }));
  await writer.writeRunInfo(runInfo(runId, commit));
  await writer.close();
  return writer.dir;
}

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'cb-baseline-cli-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs `baseline …` through commander as the CLI would, returning what it wrote to stdout. */
async function runCommand(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerBaseline(program);
  let output = '';
  const write = mock.method(process.stdout, 'write', (chunk: string | Uint8Array) => {
    output += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['baseline', ...args], { from: 'user' });
  } finally {
    write.mock.restore();
  }
  return output;
}

describe('baseline save | list | show | promote', () => {
  test('round trip: save, list, show, save --no-promote, promote <id>', async () => {
    const dir = path.join(root, 'round-trip');
    const saved = await baselineSave([await writeRun(4), await writeRun(5)], { dir, name: 'main' });
    const [, firstId] = /entry (\S+):/.exec(saved) ?? [];
    assert.ok(firstId, saved);
    assert.match(
      saved,
      /^saved fanout-smoke\/main entry \S+: 2 run\(s\), identity [0-9a-f]{12}, commit aaaaaaaaaa — now current\n/,
    );

    const list = await baselineList({ dir });
    assert.match(list, /^baseline\s+entries\s+current\s+identity\s+saved\s+commit\n/);
    assert.match(list, new RegExp(`fanout-smoke/main\\s+1\\s+${firstId}\\s+[0-9a-f]{12}`));

    // --no-promote through commander, as a user types it.
    const noPromote = await runCommand([
      'save',
      await writeRun(6, 'b'.repeat(40)),
      '--dir',
      dir,
      '--name',
      'main',
      '--no-promote',
    ]);
    const [, secondId] = /entry (\S+):/.exec(noPromote) ?? [];
    assert.ok(secondId, noPromote);
    assert.match(noPromote, new RegExp(`in history \\(promote it with \`baseline promote ${secondId}\`\\)`));

    let show = await baselineShow('fanout-smoke/main', { dir });
    assert.match(show, new RegExp(`current: ${firstId}, saved .*commit aaaaaaaaaa, harness 0\\.1\\.0`));
    assert.match(show, /host: Test CPU, 2 cores, 8 GiB, linux\/x64/);
    assert.match(show, /history \(2 entries, oldest first\):/);
    assert.ok(show.indexOf(`${firstId} *`) < show.indexOf(secondId!), 'history in save order, current starred');
    assert.match(show, /change points: need 8 entries or more \(2 so far\)/);

    const promoted = await runCommand(['promote', secondId!, '--dir', dir]);
    assert.match(
      promoted,
      new RegExp(`^fanout-smoke/main: entry ${secondId} \\(saved .*, commit bbbbbbbbbb\\) is now current\n$`),
    );
    show = await baselineShow('fanout-smoke', { dir });
    assert.match(show, new RegExp(`current: ${secondId}, `));
    assert.match(show, new RegExp(`${secondId} \\*`));

    await assert.rejects(baselinePromote('20990101-000000-ffff', { dir }), /no baseline entry 20990101-000000-ffff/);
    const json = JSON.parse(await baselineList({ dir, json: true })) as Array<{ current: { id: string } }>;
    assert.equal(json[0]!.current.id, secondId);
  });

  test('an empty store says how to fill it', async () => {
    assert.match(await baselineList({ dir: path.join(root, 'empty') }), /^no baselines under .*baseline save/);
  });

  test('show names where a shift began: entry id, date, git commit and size', async () => {
    const dir = path.join(root, 'history');
    // 12 entries, one per merge to main: 4 ms for six commits, then 6 ms (+50 %) from the seventh on.
    const latencies = [4, 4.1, 3.9, 4.05, 3.95, 4, 6, 6.1, 5.9, 6.05, 5.95, 6];
    const ids: string[] = [];
    for (const [i, latencyMs] of latencies.entries()) {
      const commit = `${String(i).padStart(2, '0')}${'c'.repeat(38)}`;
      const { entry } = await saveBaseline([await writeRun(latencyMs, commit)], {
        dir,
        now: new Date(Date.UTC(2026, 10, 1 + i, 9, 30)),
      });
      ids.push(entry.id);
    }
    const show = await baselineShow('fanout-smoke', { dir });
    assert.match(show, /change points \(E-divisive means/);
    const changeRows = show.split('change points (')[1]!.split('\n').slice(2).filter(Boolean);
    // Every delivery-latency statistic shifted at the seventh entry; the delivery rate did not move.
    assert.deepEqual(
      changeRows.map((line) => line.split(/\s{2,}/).slice(0, 2)),
      [
        ['delivery_latency p50', ids[6]],
        ['delivery_latency p99', ids[6]],
        ['delivery_latency mean', ids[6]],
      ],
    );
    // Saved 2026-11-07, commit 06cccccccc: 4 ms → 6 ms, +50 %.
    assert.match(
      changeRows[2]!,
      new RegExp(
        `^delivery_latency mean\\s+${ids[6]}\\s+2026-11-07 09:30Z\\s+06cccccccc\\s+4 ms\\s+6 ms\\s+\\+50\\.0 %\\s+p=0\\.0\\d\\d$`,
      ),
    );

    const json = JSON.parse(await baselineShow('fanout-smoke', { dir, json: true })) as {
      changes: Array<{ metric: string; entryId: string; gitCommit: string; change: number }>;
    };
    const mean = json.changes.find((change) => change.metric === 'delivery_latency mean');
    assert.equal(mean?.entryId, ids[6]);
    assert.equal(mean?.gitCommit, `06${'c'.repeat(38)}`);
    assert.ok(Math.abs(mean!.change - 0.5) < 0.03, String(mean?.change));
  });

  test('a history without a shift → "none"', async () => {
    const dir = path.join(root, 'flat');
    const latencies = [4, 4.1, 3.9, 4.05, 3.95, 4, 4.02, 3.98];
    for (const [i, latencyMs] of latencies.entries()) {
      await saveBaseline([await writeRun(latencyMs)], { dir, now: new Date(Date.UTC(2026, 10, 1 + i)) });
    }
    assert.match(await baselineShow('fanout-smoke', { dir }), /change points: none/);
  });
});
