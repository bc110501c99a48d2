/**
 * A shard's folder sent to the coordinator over real HTTP on 127.0.0.1 (the Kubernetes path: no shared disk):
 * stored byte for byte under `<results>/<run-id>/shards/<i>/`, unchanged when both sides share one folder,
 * refused when unregistered, over the size limit or climbing out of the folder.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { UserError } from '../common/errors.ts';
import { type Coordinator, startCoordinator } from './coordinator.ts';
import { CoordinatorClient } from './coordinator-client.ts';
import { storeShardFiles } from './shard-files.ts';

const identity = { runId: 'run-1', shardCount: 2, scenarioHash: 'aaa', harnessVersion: '1.0.0' };
const temporary = mkdtempSync(path.join(os.tmpdir(), 'cb-shard-files-'));
const coordinators: Coordinator[] = [];
after(async () => {
  for (const coordinator of coordinators) await coordinator.close();
  rmSync(temporary, { recursive: true, force: true });
});

async function coordinator(resultsDir: string, maxUploadBytes?: number) {
  const started = await startCoordinator({ ...identity, resultsDir, maxUploadBytes });
  coordinators.push(started);
  return started;
}

/** A shard folder as a run leaves it (summary, histogram, timeseries …), plus a file the merge does not need. */
function shardFolder(name: string): string {
  const dir = path.join(temporary, name);
  mkdirSync(path.join(dir, 'histograms'), { recursive: true });
  writeFileSync(path.join(dir, 'summary.json'), '{"valid":true}\n');
  writeFileSync(path.join(dir, 'shard.json'), '{"shard":{"index":1,"count":2}}\n');
  writeFileSync(path.join(dir, 'histograms', 'delivery_latency.hdr'), 'HISTFAAAA\n');
  writeFileSync(path.join(dir, 'timeseries.ndjson'), `${'{"t":0}\n'.repeat(10_000)}`);
  writeFileSync(path.join(dir, 'samples.ndjson'), 'not sent\n');
  return dir;
}
const SENT = ['summary.json', 'shard.json', 'histograms/delivery_latency.hdr', 'timeseries.ndjson', 'run.json'];
const userError = (pattern: RegExp) => (error: unknown) => error instanceof UserError && pattern.test(error.message);

describe('shard files to the coordinator', () => {
  it('stores the shard folder byte for byte under <results>/<run-id>/shards/<i>/, skipping absent files', async () => {
    const results = path.join(temporary, 'coordinator-results');
    const { url } = await coordinator(results);
    const source = shardFolder('pod-1');
    const client = new CoordinatorClient(url, { ...identity, shardIndex: 1 });
    await client.register();
    assert.equal(await client.uploadResults(source, SENT), 4, 'run.json is absent: 4 files');
    const stored = path.join(results, 'run-1', 'shards', '1');
    for (const file of SENT.filter((name) => name !== 'run.json')) {
      assert.deepEqual(readFileSync(path.join(stored, file)), readFileSync(path.join(source, file)), file);
    }
    assert.throws(() => statSync(path.join(stored, 'samples.ndjson')), 'only the files named are sent');
  });

  it('one machine, one results folder: the same files are left untouched', async () => {
    const results = path.join(temporary, 'shared');
    const source = shardFolder(path.join('shared', 'run-1', 'shards', '0'));
    const before = statSync(path.join(source, 'summary.json')).mtimeMs;
    const { url } = await coordinator(results);
    const client = new CoordinatorClient(url, { ...identity, shardIndex: 0 });
    await client.register();
    assert.equal(await client.uploadResults(source, SENT), 4);
    assert.equal(statSync(path.join(source, 'summary.json')).mtimeMs, before);
  });

  it('refuses an unregistered shard, a body over the limit, and a path out of the folder', async () => {
    const { url } = await coordinator(path.join(temporary, 'refusals'), 64 * 1024);
    const source = shardFolder('pod-big');
    const stranger = new CoordinatorClient(url, { ...identity, shardIndex: 1 });
    await assert.rejects(stranger.uploadResults(source, SENT), userError(/shard 1 is not registered/));
    await stranger.register();
    writeFileSync(path.join(source, 'timeline.ndjson'), Buffer.from(crypto.getRandomValues(new Uint8Array(60_000))));
    await assert.rejects(
      stranger.uploadResults(source, [...SENT, 'timeline.ndjson', 'samples.ndjson']),
      userError(/over its body size limit/),
    );
    const climbingOut = { runId: 'run-1', shardIndex: 0, files: [{ path: '../../x', gzipBase64: '' }] };
    await assert.rejects(storeShardFiles(temporary, climbingOut, 1024), /not a shard file path/);
  });
});
