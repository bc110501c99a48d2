import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UserError } from '../../common/errors.ts';
import { registerSecret } from '../../common/log.ts';
import type { RunInfo, TimeseriesPoint } from '../../common/summary-types.ts';
import { readRun, readTimeseries } from './read-run.ts';
import { gatherRunInfo, gitState, harnessVersion } from './run-info.ts';
import { RunWriter } from './run-writer.ts';
import { samplePoint, sampleSummary } from './testing.ts';

let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'cb-run-files-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function collect(dir: string): Promise<TimeseriesPoint[]> {
  const out: TimeseriesPoint[] = [];
  for await (const point of readTimeseries(dir)) out.push(point);
  return out;
}

function runInfo(runId: string, config: unknown = {}): RunInfo {
  return {
    schemaVersion: 1,
    runId,
    scenario: { name: 'fanout-smoke', file: 'scenarios/fanout-smoke.ts', config },
    startedAt: '2026-11-23T12:00:00.000Z',
    git: { commit: null, dirty: null },
    host: { hostname: 'h', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'cpu', memoryBytes: 1 },
    node: process.version,
    harnessVersion: '0.1.0',
    stack: { provider: 'local', engine: 'memory', nodes: 1 },
    versions: { centrifugo: '6.9.1' },
  };
}

describe('RunWriter → readRun', () => {
  test('writes every file and reads the same data back', async () => {
    const writer = await RunWriter.open({ runId: 'run-a', root });
    assert.equal(writer.dir, path.join(root, 'run-a'));
    await writer.writeRunInfo(runInfo('run-a'));
    for (let t = 0; t < 5; t++) writer.appendPoint(samplePoint(t, 4 + t, 2000));
    writer.appendEvent({ at: 0, kind: 'phase', name: 'publish' });
    writer.appendEvent({ at: 2.5, kind: 'fault', name: 'kill centrifugo-1', detail: 'SIGKILL' });
    await writer.writeHistograms({ delivery_latency: 'HISTFAAAAB', publish_duration: 'HISTFAAAAC' });
    const summary = sampleSummary({ runId: 'run-a' });
    await writer.writeSummary(summary);
    const mdPath = await writer.writeText('summary.md', '# ok\n');
    await writer.close();
    await writer.close(); // idempotent

    assert.equal(readFileSync(mdPath, 'utf8'), '# ok\n');
    const run = await readRun(writer.dir);
    assert.deepEqual(run.summary, summary);
    assert.equal(run.info?.runId, 'run-a');
    assert.deepEqual(
      run.timeline.map((e) => e.name),
      ['publish', 'kill centrifugo-1'],
    );
    assert.deepEqual(run.histograms, { delivery_latency: 'HISTFAAAAB', publish_duration: 'HISTFAAAAC' });
    const points = await collect(writer.dir);
    assert.deepEqual(
      points.map((p) => p.trends.delivery_latency?.avg),
      [4, 5, 6, 7, 8],
    );
    assert.deepEqual(points[0], samplePoint(0, 4, 2000));
    assert.deepEqual(readdirSync(writer.dir).sort(), [
      'histograms',
      'run.json',
      'summary.json',
      'summary.md',
      'timeline.ndjson',
      'timeseries.ndjson',
    ]);
  });

  test('timeseries lines reach the disk while the run goes on (streaming, one JSON per line)', async () => {
    const writer = await RunWriter.open({ runId: 'run-stream', root });
    writer.appendPoint(samplePoint(0, 1, 10));
    writer.appendPoint(samplePoint(1, 2, 10));
    await writer.flush();
    const lines = readFileSync(path.join(writer.dir, 'timeseries.ndjson'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    assert.equal(JSON.parse(lines[1] ?? '').t, 1);
    writer.appendPoint(samplePoint(2, 3, 10));
    await writer.close();
    assert.equal((await collect(writer.dir)).length, 3);
    assert.throws(() => writer.appendPoint(samplePoint(3, 1, 1)), /closed/);
  });

  test('samples.ndjson appears only with the first sampled delivery', async () => {
    const writer = await RunWriter.open({ runId: 'run-samples', root });
    await writer.flush();
    assert.ok(!readdirSync(writer.dir).includes('samples.ndjson'));
    writer.appendSample({
      run_id: 'run-samples',
      ts_us: 1,
      stream: 'personal:1',
      subscriber: 'u1',
      seq: 1,
      latency_us: 900,
      node: 'n1',
    });
    writer.appendSample({
      run_id: 'run-samples',
      ts_us: 2,
      stream: 'personal:1',
      subscriber: 'u1',
      seq: 2,
      latency_us: 800,
      node: 'n1',
    });
    await writer.close();
    const lines = readFileSync(path.join(writer.dir, 'samples.ndjson'), 'utf8').trim().split('\n');
    assert.deepEqual(
      lines.map((line) => JSON.parse(line).seq),
      [1, 2],
    );
  });

  test('an existing run directory (the stack already wrote logs/) is kept', async () => {
    mkdirSync(path.join(root, 'run-logs', 'logs'), { recursive: true });
    writeFileSync(path.join(root, 'run-logs', 'logs', 'redis.log'), 'hello');
    const writer = await RunWriter.open({ runId: 'run-logs', root });
    await writer.close();
    assert.equal(readFileSync(path.join(root, 'run-logs', 'logs', 'redis.log'), 'utf8'), 'hello');
  });

  test('a torn last line is skipped; the points before it are read', async () => {
    const writer = await RunWriter.open({ runId: 'run-torn', root });
    writer.appendPoint(samplePoint(0, 1, 10));
    writer.appendPoint(samplePoint(1, 1, 10));
    await writer.close();
    appendFileSync(path.join(writer.dir, 'timeseries.ndjson'), '{"t":2,"ts":"2026-');
    assert.deepEqual(
      (await collect(writer.dir)).map((p) => p.t),
      [0, 1],
    );
  });

  test('refuses run ids and file names that would leave the run directory', async () => {
    await assert.rejects(RunWriter.open({ runId: '../evil', root }), /not a run id/);
    await assert.rejects(RunWriter.open({ runId: '..', root }), /not a run id/);
    const writer = await RunWriter.open({ runId: 'run-names', root });
    await assert.rejects(writer.writeText('../x.md', ''), /not a file name/);
    await assert.rejects(writer.writeHistograms({ '../x': 'a' }), /not a metric name/);
    await writer.close();
  });
});

describe('redaction: a registered secret never reaches a run file', () => {
  test('run.json, summary.json, ndjson lines, histograms and text files are redacted and stay valid', async () => {
    const secret = 'hmac-Secret-7f3a9c1e55';
    registerSecret(secret);
    const writer = await RunWriter.open({ runId: 'run-secret', root });
    await writer.writeRunInfo(runInfo('run-secret', { tokenHmacSecret: secret, [`key-${secret}`]: 1 }));
    writer.appendPoint({ ...samplePoint(0, 1, 1), counters: { [`weird_${secret}`]: 1 } });
    writer.appendEvent({ at: 1, kind: 'note', name: 'api key', detail: `Authorization: apikey ${secret}` });
    await writer.writeHistograms({ delivery_latency: `HIST${secret}` });
    await writer.writeSummary(sampleSummary({ invalidReasons: [`leaked ${secret} "quoted"`] }));
    await writer.writeText('junit.xml', `<x a="${secret}"/>`);
    await writer.close();

    const files = [
      'run.json',
      'summary.json',
      'timeseries.ndjson',
      'timeline.ndjson',
      'histograms/delivery_latency.hdr',
      'junit.xml',
    ];
    for (const name of files) {
      const text = readFileSync(path.join(writer.dir, name), 'utf8');
      assert.ok(!text.includes(secret), `${name} contains the secret`);
      assert.ok(text.includes('***'), `${name} shows the redaction mark`);
    }
    const info = JSON.parse(readFileSync(path.join(writer.dir, 'run.json'), 'utf8')) as RunInfo;
    assert.deepEqual(info.scenario.config, { tokenHmacSecret: '***', 'key-***': 1 });
    const run = await readRun(writer.dir);
    assert.deepEqual(run.summary.invalidReasons, ['leaked *** "quoted"']);
  });
});

describe('readRun refuses what is not a run, naming the problem', () => {
  async function rejects(dir: string, pattern: RegExp) {
    await assert.rejects(readRun(dir), (error: unknown) => {
      assert.ok(error instanceof UserError, String(error));
      assert.match(error.message, pattern);
      assert.equal(error.exitCode, 2);
      return true;
    });
  }

  test('missing directory, missing summary, broken JSON, newer schema, wrong field', async () => {
    await rejects(path.join(root, 'nope'), /^no run directory at /);
    mkdirSync(path.join(root, 'empty'));
    await rejects(path.join(root, 'empty'), /has no summary\.json: not a run directory, or the run did not finish/);
    mkdirSync(path.join(root, 'broken'));
    writeFileSync(path.join(root, 'broken', 'summary.json'), '{"schemaVersion": 1,');
    await rejects(path.join(root, 'broken'), /summary\.json is not valid JSON/);
    mkdirSync(path.join(root, 'future'));
    writeFileSync(path.join(root, 'future', 'summary.json'), JSON.stringify({ ...sampleSummary(), schemaVersion: 2 }));
    await rejects(path.join(root, 'future'), /has schemaVersion 2; this harness reads 1 — update centrifugo-bench/);
    mkdirSync(path.join(root, 'wrong'));
    writeFileSync(path.join(root, 'wrong', 'summary.json'), JSON.stringify({ ...sampleSummary(), valid: 'yes' }));
    await rejects(path.join(root, 'wrong'), /summary\.json: valid: /);
  });

  test('a run without run.json, timeline or histograms still reads', async () => {
    mkdirSync(path.join(root, 'bare'));
    writeFileSync(path.join(root, 'bare', 'summary.json'), JSON.stringify({ ...sampleSummary(), extraField: 1 }));
    const run = await readRun(path.join(root, 'bare'));
    assert.equal(run.info, null);
    assert.deepEqual(run.timeline, []);
    assert.deepEqual(run.histograms, {});
    assert.deepEqual(await collect(path.join(root, 'bare')), []);
  });
});

describe('run.json facts', () => {
  test('git commit and dirty flag in a repository; nulls outside one', async () => {
    const repo = path.join(root, 'repo');
    mkdirSync(repo);
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], {
        cwd: repo,
      }).toString();
    git('init', '-q');
    writeFileSync(path.join(repo, 'a.txt'), 'a');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'a');
    const head = git('rev-parse', 'HEAD').trim();
    assert.deepEqual(await gitState(repo), { commit: head, dirty: false });
    writeFileSync(path.join(repo, 'a.txt'), 'b');
    assert.deepEqual(await gitState(repo), { commit: head, dirty: true });
    const outside = await mkdtemp(path.join(os.tmpdir(), 'cb-no-git-'));
    try {
      assert.deepEqual(await gitState(outside), { commit: null, dirty: null });
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  test('gatherRunInfo fills host, node and harness version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const info = await gatherRunInfo({
      runId: 'r1',
      scenario: { name: 's', file: 'scenarios/s.ts', config: { rate: 1 } },
      startedAt: new Date('2026-11-23T12:00:00Z'),
      stack: { provider: 'local', engine: 'memory', nodes: 1 },
      versions: { centrifugo: '6.9.1' },
      cwd: root,
    });
    assert.equal(info.startedAt, '2026-11-23T12:00:00.000Z');
    assert.equal(info.harnessVersion, pkg.version);
    assert.equal(harnessVersion(), pkg.version);
    assert.equal(info.node, process.version);
    assert.equal(info.host.platform, process.platform);
    assert.ok(info.host.cpus >= 1 && info.host.memoryBytes > 0 && info.host.cpuModel.length > 0 && info.host.hostname);
    assert.deepEqual(info.git, { commit: null, dirty: null });
  });
});
