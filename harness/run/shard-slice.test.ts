import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../common/errors.ts';
import { channelsByStream, parseWorkload, synthesizeAudience } from '../engine/index.ts';
import { shardStream, sliceAudience, sliceWorkload } from './shard-slice.ts';

const workload = (publishers: Record<string, unknown>) =>
  parseWorkload({ subscribers: { count: 10 }, publishers: { target: 'centrifugo-broadcast', ...publishers } });

describe('shard slices', () => {
  it('every subscriber is owned by exactly one shard and owes every shard’s copy of its streams', () => {
    const whole = synthesizeAudience(10, 'centrifugo-publish');
    const slices = [0, 1, 2].map((index) => sliceAudience(whole, { index, count: 3 }));
    const owned = slices.flatMap((slice) => slice.audience.map((member) => member.userId)).sort();
    assert.deepEqual(owned, whole.map((member) => member.userId).sort());
    const u4 = slices.flatMap((slice) => slice.audience).find((member) => member.userId === 'u4');
    assert.deepEqual(u4?.streams, ['personal:u4@0', 'personal:u4@1', 'personal:u4@2']);
    // Shard 1 publishes its own copy of every stream, to every shard's channels.
    assert.deepEqual(slices[1]?.publishStreams[shardStream('personal:u4', 1)], ['personal:u4']);
    assert.equal(Object.keys(slices[1]!.publishStreams).length, Object.keys(channelsByStream(whole)).length);
  });

  it('executor rates, VUs and iterations split into parts that sum to the whole', () => {
    const rates = [0, 1, 2].map(
      (index) =>
        sliceWorkload(
          workload({ executor: 'constant-arrival-rate', rate: 10, duration: '5s', preAllocatedVUs: 2 }),
          { index, count: 3 },
          3,
        ).publishers,
    );
    assert.deepEqual(
      rates.map((p) => (p.executor === 'constant-arrival-rate' ? p.rate : -1)),
      [3, 3, 4],
    );
    const iterations = [0, 1].map(
      (index) =>
        sliceWorkload(workload({ executor: 'shared-iterations', vus: 3, iterations: 7 }), { index, count: 2 }, 5)
          .publishers,
    );
    assert.deepEqual(
      iterations.map((p) => (p.executor === 'shared-iterations' ? p.iterations : -1)),
      [3, 4],
    );
  });

  it('a share that would be zero is refused, naming the field and the shard', () => {
    assert.throws(
      () =>
        sliceWorkload(
          workload({ executor: 'constant-arrival-rate', rate: 2, duration: '5s', preAllocatedVUs: 1 }),
          { index: 0, count: 3 },
          3,
        ),
      (error: unknown) =>
        error instanceof UserError && /publishers\.rate: 2 split over 3 shards leaves shard 0 none/.test(error.message),
    );
  });
});
