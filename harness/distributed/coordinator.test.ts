import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { UserError } from '../common/errors.ts';
import { type Coordinator, coordinatorNowUs, startCoordinator } from './coordinator.ts';
import { CoordinatorClient } from './coordinator-client.ts';

const identity = { runId: 'run-1', shardCount: 3, scenarioHash: 'aaa', harnessVersion: '1.0.0' };
const coordinators: Coordinator[] = [];
after(async () => {
  for (const coordinator of coordinators) await coordinator.close();
});

async function coordinator(options: Partial<Parameters<typeof startCoordinator>[0]> = {}) {
  const started = await startCoordinator({ ...identity, startLeadMs: 100, ...options });
  coordinators.push(started);
  return started;
}
const clients = (url: string, count = 3) =>
  Array.from({ length: count }, (_, shardIndex) => new CoordinatorClient(url, { ...identity, shardIndex }));
const userError = (pattern: RegExp) => (error: unknown) => error instanceof UserError && pattern.test(error.message);

describe('coordinator', () => {
  it('start barrier: one instant for every shard, after all are ready, in the future', async () => {
    const { url, outcome } = await coordinator();
    const shards = clients(url);
    for (const shard of shards) await shard.register();
    const offset = await shards[0]?.clockOffset();
    assert.ok(offset && Math.abs(offset.offsetUs) <= offset.uncertaintyUs + 1, 'same host: offset ≈ 0');
    const firstReady = shards[0]?.startBarrier(5_000);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const lastReadyUs = coordinatorNowUs();
    const starts = await Promise.all([firstReady, ...shards.slice(1).map((shard) => shard.startBarrier(5_000))]);
    assert.equal(new Set(starts).size, 1);
    assert.ok((starts[0] ?? 0) > lastReadyUs, 'the start is announced ahead of time');
    for (const shard of shards) assert.equal(await shard.done(), undefined);
    assert.deepEqual(await outcome, { ok: true });
  });

  it('published streams: each shard gets the union, once every shard has published', async () => {
    const { url } = await coordinator({ shardCount: 2 });
    const shards = clients(url, 2).map(
      (_, shardIndex) => new CoordinatorClient(url, { ...identity, shardCount: 2, shardIndex }),
    );
    for (const shard of shards) await shard.register();
    const first = shards[0]!.exchangePublished({ 'broadcast@0': { published: 3 } }, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = shards[1]!.exchangePublished({ 'broadcast@1': { published: 4 } }, 5_000);
    const expected = { 'broadcast@0': { published: 3 }, 'broadcast@1': { published: 4 } };
    assert.deepEqual(await first, expected);
    assert.deepEqual(await second, expected);
  });

  it('refuses a scenario hash mismatch naming both hashes', async () => {
    const { url } = await coordinator();
    const stranger = new CoordinatorClient(url, { ...identity, scenarioHash: 'bbb', shardIndex: 0 });
    await assert.rejects(stranger.register(), userError(/scenario hash mismatch: coordinator aaa, shard bbb/));
  });

  it('aborts everyone when a shard never registers', async () => {
    const { url, outcome } = await coordinator({ registrationTimeoutMs: 300 });
    const shards = clients(url).slice(0, 2);
    for (const shard of shards) await shard.register();
    await Promise.all(
      shards.map((shard) => assert.rejects(shard.startBarrier(5_000), userError(/registration timeout.*shard\(s\) 2/))),
    );
    assert.match(((await outcome) as { reason: string }).reason, /never became ready/);
  });

  it('a shard that dies mid-run invalidates the run and stops the others', async () => {
    const { url, outcome } = await coordinator({ shardCount: 2, heartbeatTimeoutMs: 300 });
    const [alive, dying] = clients(url, 2).map(
      (_, shardIndex) => new CoordinatorClient(url, { ...identity, shardCount: 2, shardIndex }),
    );
    assert.ok(alive && dying);
    await alive.register();
    await dying.register();
    await Promise.all([alive.startBarrier(5_000), dying.startBarrier(5_000)]);
    const stopped = new Promise<string>((resolve) => alive.startHeartbeats(50, resolve));
    // `dying` sends no heartbeat at all: it crashed.
    assert.match(await stopped, /shard 1 stopped sending heartbeats/);
    assert.match(((await outcome) as { reason: string }).reason, /merged run is invalid/);
  });

  it('an unreachable coordinator is one clear error', async () => {
    const client = new CoordinatorClient('http://127.0.0.1:1', { ...identity, shardIndex: 0 }, 1_000);
    await assert.rejects(client.register(), userError(/coordinator at http:\/\/127\.0\.0\.1:1 is unreachable/));
  });
});
