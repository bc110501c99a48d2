import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../common/errors.ts';
import { arrivalTimes, channelsByStream, PushFloodSchema, parseWorkload, synthesizeAudience } from '../engine/index.ts';
import { shardStream, sliceAudience, slicePushFlood, sliceWorkload } from './shard-slice.ts';

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
    // Each shard's schedule starts k/n of its own interval later, so the shards' iterations interleave.
    assert.deepEqual(
      rates.map((p) => p.startTime),
      [0, 111, 167],
    );
    const slow = [0, 1, 2].map(
      (index) =>
        sliceWorkload(
          workload({
            executor: 'constant-arrival-rate',
            rate: 3,
            timeUnit: '3s',
            duration: '24s',
            startTime: '1s',
            preAllocatedVUs: 3,
          }),
          { index, count: 3 },
          3,
        ).publishers,
    );
    assert.deepEqual(
      slow.map((p) => p.startTime),
      [1000, 2000, 3000],
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

  /** The iteration start times of n shards' schedules, merged and sorted, beside one process's. */
  const mergedSchedule = (publishers: Record<string, unknown>, count: number) => {
    const whole = workload(publishers);
    const shards = Array.from({ length: count }, (_, index) =>
      arrivalTimes(sliceWorkload(whole, { index, count }, count).publishers),
    );
    return { one: arrivalTimes(whole.publishers)!, merged: shards.flatMap((times) => times!).sort((a, b) => a - b) };
  };
  const assertSameSchedule = (one: number[], merged: number[], what: string) => {
    assert.equal(merged.length, one.length, `${what}: as many iterations`);
    const worst = Math.max(...one.map((t, i) => Math.abs(t - merged[i]!)));
    // startTime is whole ms (constant-arrival-rate's shift is rounded): within 0.5 ms; a ramp's phase is exact.
    assert.ok(worst <= 0.5 + 1e-6, `${what}: merged start times within rounding of one process's (off by ${worst} ms)`);
  };

  it('arrival-rate shards interleave: their merged iteration start times are one process’s schedule', () => {
    for (const count of [2, 3, 4]) {
      const constant = mergedSchedule(
        { executor: 'constant-arrival-rate', rate: 12, duration: '5s', preAllocatedVUs: 4 },
        count,
      );
      assertSameSchedule(constant.one, constant.merged, `constant 12/s, ${count} shards`);
      // A ramp up, a plateau and a ramp down to 0, at rates every shard count here divides.
      const ramp = mergedSchedule(
        {
          executor: 'ramping-arrival-rate',
          startRate: 0,
          preAllocatedVUs: 4,
          stages: [
            { duration: '4s', target: 24 },
            { duration: '2s', target: 24 },
            { duration: '3s', target: 0 },
          ],
        },
        count,
      );
      assert.equal(ramp.one.length, 132, 'one process: 48 + 48 + 36, the integral of the rate');
      assertSameSchedule(ramp.one, ramp.merged, `ramping 0→24→0, ${count} shards`);
    }
    // Without a phase the shards would fire together: 3 shards' first iterations all at 0 ms.
    const inPhase = [0, 1, 2].map(
      (index) =>
        arrivalTimes({
          ...(sliceWorkload(
            workload({
              executor: 'ramping-arrival-rate',
              preAllocatedVUs: 1,
              stages: [{ duration: '3s', target: 30 }],
            }),
            { index, count: 3 },
            3,
          ).publishers as Extract<
            ReturnType<typeof parseWorkload>['publishers'],
            { executor: 'ramping-arrival-rate' }
          >),
          phase: 0,
        })![0],
    );
    assert.deepEqual(inPhase, [0, 0, 0]);
  });

  it('a ramp whose rates do not divide by the shard count still schedules as many iterations in all', () => {
    const ramp = mergedSchedule(
      { executor: 'ramping-arrival-rate', startRate: 1, preAllocatedVUs: 2, stages: [{ duration: '10s', target: 10 }] },
      3,
    );
    assert.equal(ramp.merged.length, ramp.one.length);
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

describe('push flood slices', () => {
  const flood = (pushes: Record<string, unknown>, devices = 2000) =>
    PushFloodSchema.parse({ devices: { count: devices }, pushes });

  it('devices partition the population; pushes, rate and calls in flight sum to the whole', () => {
    for (const count of [1, 2, 3, 7]) {
      const whole = flood({ total: 20_001, rate: 1000, concurrency: 64 });
      const slices = Array.from({ length: count }, (_, index) => slicePushFlood(whole, { index, count }));
      const owned = slices.flatMap(({ devices }) =>
        Array.from({ length: devices.end - devices.start }, (_, k) => devices.start + k),
      );
      assert.deepEqual(
        owned,
        Array.from({ length: 2000 }, (_, k) => k),
        `${count} shards: each device once`,
      );
      const sum = (pick: (f: (typeof slices)[number]['flood']) => number) =>
        slices.reduce((a, s) => a + pick(s.flood), 0);
      assert.equal(
        sum((f) => f.pushes.total),
        20_001,
      );
      assert.equal(
        sum((f) => f.pushes.rate as number),
        1000,
      );
      assert.ok(
        slices.every((s) => s.flood.devices.count === 2000),
        'every shard knows the whole population',
      );
    }
    assert.equal(slicePushFlood(flood({ rate: 'max' }), { index: 1, count: 2 }).flood.pushes.rate, 'max');
  });

  it('at a fixed rate the shards’ calls interleave: shard k of n is phased k/n of its interval', () => {
    const whole = flood({ total: 30_000, rate: 3000 });
    const phases = [0, 1, 2].map((index) => slicePushFlood(whole, { index, count: 3 }).flood.pushes.phase);
    assert.deepEqual(phases, [0, 1 / 3, 2 / 3]);
    assert.equal(whole.pushes.phase, 0, 'one process: no phase');
    // Each shard's first call is due at phase × its call interval (10 ms here: 1000/s at 10 pushes a call), so
    // the 3 shards' calls leave 3.3 ms apart instead of all at the barrier instant.
    assert.equal(slicePushFlood(whole, { index: 1, count: 3 }).flood.pushes.rate, 1000);
    assert.equal(slicePushFlood(flood({ rate: 'max' }), { index: 2, count: 3 }).flood.pushes.phase, 0);
  });

  it('refuses a part that would be empty, naming the field', () => {
    assert.throws(
      () => slicePushFlood(flood({ total: 2 }), { index: 0, count: 3 }),
      (error: unknown) =>
        error instanceof UserError && /push\.pushes\.total: 2 split over 3 shards/.test(error.message),
    );
    assert.throws(
      () => slicePushFlood(flood({ total: 100 }, 2), { index: 0, count: 3 }),
      (error: unknown) =>
        error instanceof UserError && /push\.devices\.count: 2 split over 3 shards/.test(error.message),
    );
  });
});
