/**
 * A sharded run over a seeded dataset through the chat app, on this box, through the CLI as users drive it: one
 * held stack (Centrifugo, PostgreSQL, the chat app), a coordinator and 3 shard processes
 * (`run scenarios/chat.ts --shard i/3`), merged by the coordinator — against the same run as one process.
 *
 * - the dataset is loaded once, by shard 0, into an empty database; the other shards generate it in memory only;
 * - each shard publishes its own room through the app; subscribers (the online users, striped over the shards)
 *   owe rooms other shards publish: the merged expected / delivered / lost / duplicated equal one process's;
 * - nothing is left running.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ExitCode } from '../common/exit-codes.ts';
import { type HeldStack, holdUntilStopped, parseStackSpec, startHeldStack } from '../stack/index.ts';
import { deliveryCounts as counts, readSummary, ShardedCliSession } from './testing/sharded-cli.ts';

const session = new ShardedCliSession('cb-sharded-chat-');
const RESULTS = session.results;
const STACKS = session.stacks;

/**
 * scenarios/chat.ts, small: 1,000 users in rooms of 50 / 300 / 1,000 members, 20 online per room (60
 * subscribers, each in the 1,000-member room too), 15 messages round-robin over the rooms (shared-iterations:
 * an exact count, 5 a room), through `target`, against the held stack.
 */
function chatSets(target: string, extra: [string, string][] = []): string[] {
  return [
    ['stack.provider', 'external'],
    ['stack.stackFile', path.join(STACKS, 'chat.json')],
    ['dataset.users', '1000'],
    [
      'dataset.rooms',
      JSON.stringify([
        { name: 'small', members: 50 },
        { name: 'medium', members: 300 },
        { name: 'large', members: 1000 },
      ]),
    ],
    ['online', JSON.stringify({ kind: 'per-room', count: 20 })],
    [
      'workload.publishers',
      JSON.stringify({ executor: 'shared-iterations', target, vus: 1, iterations: 15, maxDuration: '30s' }),
    ],
    ['workload.drain', '3s'],
    ...extra,
  ].flatMap(([key, value]) => ['--set', `${key}=${value}`]);
}

/** The run as `shards` shard processes with a coordinator (merged), then as one process; their summaries. */
async function shardedThenSingle(runId: string, shards: number, sets: string[]) {
  const { run: coord, url } = await session.coordinate('scenarios/chat.ts', shards, runId, ['--merge', ...sets]);
  const children = Array.from({ length: shards }, (_, index) =>
    session.shard('scenarios/chat.ts', index, shards, url, runId, sets),
  );
  for (const child of children) assert.equal(await child.exit, ExitCode.ok, child.stderr());
  assert.equal(await coord.exit, ExitCode.ok, `${coord.stderr()}\n${coord.stdout()}`);
  const single = session.cli(['run', 'scenarios/chat.ts', '--no-thresholds', '--no-report', ...sets]);
  assert.equal(await single.exit, ExitCode.ok, single.stderr());
  return {
    logs: children.map((child) => child.stderr()),
    one: readSummary(session.singleRunDir(single)),
    merged: readSummary(path.join(RESULTS, runId)),
    parts: children.map((_, index) => readSummary(path.join(RESULTS, runId, 'shards', String(index)))),
  };
}

let held: HeldStack | undefined;
const holding = new AbortController();
let stopped: Promise<unknown> | undefined;

before(async () => {
  // The held stack's own logs go to this test's results folder, not the project's.
  process.env.CENTRIFUGO_BENCH_RESULTS = RESULTS;
  const spec = parseStackSpec({
    provider: 'local',
    engine: 'memory',
    services: ['postgres'],
    chatApp: { mode: 'api' },
  });
  held = await startHeldStack(spec, 'chat', STACKS, holding.signal);
  stopped = holdUntilStopped(held, holding.signal);
});

after(async () => {
  holding.abort();
  await stopped;
  await session.assertNothingLeft();
  session.remove();
});

test('3 shards of a chat-app run over a seeded dataset: seeded once by shard 0, counts equal to one process', async (t) => {
  // Sharded first, on an empty database: shard 0 loads the dataset, the others must not.
  const { logs, one, merged, parts } = await shardedThenSingle('chat-3', 3, chatSets('chat-app'));
  assert.match(logs[0]!, /dataset [0-9a-f]{12}: 1000 users, 3 rooms .* loaded in/);
  for (const index of [1, 2]) {
    assert.match(logs[index]!, /generated in memory; shard 0 loads it/);
    assert.doesNotMatch(logs[index]!, /(already )?loaded in/);
  }
  t.diagnostic(`one process: ${JSON.stringify(counts(one))}`);
  t.diagnostic(`3 shards, merged: ${JSON.stringify(counts(merged))}`);
  assert.equal(one.valid, true, one.invalidReasons.join('; '));
  assert.equal(merged.valid, true, merged.invalidReasons.join('; '));
  assert.deepEqual(counts(merged), counts(one));
  assert.equal(counts(one).messages_published, 15);
  assert.equal(counts(one).messages_lost, 0);
  assert.equal(counts(one).messages_duplicated, 0);
  assert.ok((counts(one).messages_expected ?? 0) >= 15 * 20, `expected ${counts(one).messages_expected}`);
  // Each shard published its own room, 5 messages, to subscribers on every shard.
  assert.deepEqual(
    parts.map((part) => counts(part).messages_published),
    [5, 5, 5],
  );
  // Deliveries cross shards: every online user is in the large room, so each shard owes the others' rooms too.
  for (const part of parts) assert.ok((counts(part).messages_expected ?? 0) > 5 * 20, JSON.stringify(counts(part)));
  const latency = merged.metrics.delivery_latency;
  assert.ok(latency?.type === 'trend' && latency.count === counts(merged).messages_delivered);
  const creation = merged.metrics.creation_duration;
  assert.ok(creation?.type === 'trend' && creation.count === 15, 'the app created 15 messages, timed once each');
});

test('2 shards of the same dataset through Centrifugo’s broadcast API: rooms split 1 + 2, counts equal to one process', async (t) => {
  // The scenario's creation_duration threshold has nothing to judge without the app: no thresholds here.
  const sets = chatSets('centrifugo-broadcast', [['thresholds', '{}']]);
  const { logs, one, merged, parts } = await shardedThenSingle('broadcast-2', 2, sets);
  assert.match(logs[0]!, /already loaded in/);
  t.diagnostic(`one process: ${JSON.stringify(counts(one))}`);
  t.diagnostic(`2 shards, merged: ${JSON.stringify(counts(merged))}`);
  assert.equal(merged.valid, true, merged.invalidReasons.join('; '));
  assert.deepEqual(counts(merged), counts(one));
  assert.equal(counts(one).messages_lost, 0);
  // Shard 0 owns 1 of the 3 rooms and a third of the iterations, shard 1 the other two rooms and two thirds.
  assert.deepEqual(
    parts.map((part) => counts(part).messages_published),
    [5, 10],
  );
});
