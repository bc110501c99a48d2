/**
 * Sharded runs over a seeded dataset (issue 13): every shard computes the same dataset without reading the
 * database, the chat-app target splits the rooms (and the rate with them) so each room is published as often as
 * by one process, subscribers partition the online users, and what cannot be sharded is one line, exit 2.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UserError } from '../common/errors.ts';
import { channelsByStream, parseWorkload } from '../engine/index.ts';
import { audienceFor, generateDataset } from '../seed/index.ts';
import { loadPlan } from './plan.ts';
import { roomShare, sliceAudience, sliceWorkload, streamSharingFor } from './shard-slice.ts';

const CHAT = fileURLToPath(new URL('../../scenarios/chat.ts', import.meta.url));
const spec = {
  seed: 7,
  users: 400,
  rooms: [
    { name: 'a', members: 40 },
    { name: 'b', members: 100 },
    { name: 'c', members: 400 },
    { name: 'd', members: 10 },
    { name: 'e', members: 250 },
    { name: 'f', members: 60 },
  ],
};
const online = { kind: 'per-room', count: 5 } as const;

describe('sharded datasets', () => {
  it('every shard generates the same dataset and audience from the spec alone (faker seed, no database)', () => {
    const [a, b] = [generateDataset(spec), generateDataset(structuredClone(spec))];
    assert.equal(a.fingerprint, b.fingerprint);
    assert.deepEqual(audienceFor(a, online), audienceFor(b, online));
    assert.deepEqual(
      audienceFor(a, { kind: 'per-room', count: 3, pick: 'random' }),
      audienceFor(b, { kind: 'per-room', count: 3, pick: 'random' }),
    );
  });

  it('a dataset: the shards split the rooms and the rate with them; subscribers partition the online users', () => {
    const whole = audienceFor(generateDataset(spec), online);
    const rooms = Object.keys(channelsByStream(whole));
    assert.equal(rooms.length, 6);
    const workload = parseWorkload({
      subscribers: { count: whole.length },
      publishers: {
        target: 'chat-app',
        executor: 'constant-arrival-rate',
        rate: 12,
        duration: '5s',
        preAllocatedVUs: 4,
      },
    });
    assert.equal(streamSharingFor({ dataset: spec }), 'rooms');
    assert.equal(streamSharingFor({}), 'copies');
    const slices = [0, 1, 2, 3].map((index) => sliceAudience(whole, { index, count: 4 }, 'rooms'));
    // Each room is published by exactly one shard, under its own id (the app takes room ids).
    const published = slices.flatMap((slice) => Object.keys(slice.publishStreams));
    assert.deepEqual(published, rooms);
    // Subscribers: each online user on exactly one shard, owing the same rooms as in one process.
    const owned = slices.flatMap((slice) => slice.audience).sort((x, y) => x.userId.localeCompare(y.userId));
    assert.deepEqual(
      owned,
      [...whole].sort((x, y) => x.userId.localeCompare(y.userId)),
    );
    // The rate follows the rooms: 12/s over 6 rooms is 2/s a room on every shard, as in one process.
    const rates = slices.map((slice, index) => {
      const p = sliceWorkload(workload, { index, count: 4 }, slice.audience.length, slice.publishShare).publishers;
      return p.executor === 'constant-arrival-rate' ? p.rate : -1;
    });
    assert.deepEqual(
      slices.map((slice) => Object.keys(slice.publishStreams).length),
      [1, 2, 1, 2],
    );
    assert.deepEqual(rates, [2, 4, 2, 4]);
    assert.equal(
      rates.reduce((a, b) => a + b, 0),
      12,
    );
  });

  it('fewer rooms than shards is refused, naming the numbers', () => {
    assert.throws(
      () => roomShare(2, { index: 0, count: 3 }),
      (error: unknown) =>
        error instanceof UserError &&
        /2 rooms over 3 shards leaves shard 0 none; use at most 2 shards/.test(error.message),
    );
  });
});

describe('sharded plans', () => {
  let dir = '';
  const saved = process.env.CENTRIFUGO_BENCH_RESULTS;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cb-shard-plan-'));
    process.env.CENTRIFUGO_BENCH_RESULTS = dir;
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.CENTRIFUGO_BENCH_RESULTS;
    else process.env.CENTRIFUGO_BENCH_RESULTS = saved;
  });
  const external = ['stack.provider=external', `stack.stackFile=${path.join(os.tmpdir(), 'no-such-stack.json')}`];

  it('a dataset with the chat-app target plans as a shard', async () => {
    const plan = await loadPlan(CHAT, { overrides: external, shard: { index: 1, count: 3 } });
    assert.equal(plan.shard.index, 1);
  });

  it('fault steps and too few rooms are refused: one line each', async () => {
    const faults = 'workload.faults=[{"at":"1s","action":"pause-service","service":"postgres"}]';
    await assert.rejects(
      loadPlan(CHAT, { overrides: [...external, faults], shard: { index: 0, count: 2 } }),
      (error: unknown) =>
        error instanceof UserError &&
        /^--shard: workload\.faults: fault steps need the stack the run starts .*external stack/.test(error.message) &&
        !error.message.includes('\n'),
    );
    await assert.rejects(
      loadPlan(CHAT, { overrides: external, shard: { index: 0, count: 4 } }),
      (error: unknown) =>
        error instanceof UserError && /dataset\.rooms has 3 over 4 shards; use at most 3 shards/.test(error.message),
    );
  });
});
