import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../common/errors.ts';
import { mulberry32 } from '../common/seeded-random.ts';
import { clockInvalidReason, estimateClockOffset, offsetThrough } from './clock-sync.ts';
import { DistributedSpecSchema } from './distributed-spec.ts';
import { ownsKey, sliceCount, sliceItems, sliceRange, sliceRate } from './segments.ts';
import { parseShardFlag, resolveShard, type Shard } from './shard.ts';

const shardsOf = (count: number): Shard[] => Array.from({ length: count }, (_, index) => ({ index, count }));

describe('shard', () => {
  it('parses --shard i/n and JOB_COMPLETION_INDEX', () => {
    assert.deepEqual(parseShardFlag('2/4'), { index: 2, count: 4 });
    assert.deepEqual(resolveShard({}), { index: 0, count: 1 });
    assert.deepEqual(resolveShard({ env: { JOB_COMPLETION_INDEX: '3' }, shardCount: 5 }), { index: 3, count: 5 });
    assert.deepEqual(resolveShard({ flag: '1/2', env: { JOB_COMPLETION_INDEX: '1' } }), { index: 1, count: 2 });
  });

  it('refuses bad input with one clear UserError (exit 2)', () => {
    const cases: [Parameters<typeof resolveShard>[0], RegExp][] = [
      [{ flag: '4/4' }, /out of range 0\.\.3/],
      [{ flag: 'a/4' }, /malformed/],
      [{ flag: '1/0' }, /at least 1/],
      [{ flag: '1/4', shardCount: 3 }, /says 4 shards but the shard count is 3/],
      [{ env: { JOB_COMPLETION_INDEX: '2' } }, /shard count is unknown/],
      [{ env: { JOB_COMPLETION_INDEX: '-1' }, shardCount: 4 }, /not a non-negative integer/],
      [{ env: { JOB_COMPLETION_INDEX: '4' }, shardCount: 4 }, /out of range/],
      [{ flag: '0/4', env: { JOB_COMPLETION_INDEX: '1' } }, /contradicts/],
    ];
    for (const [input, message] of cases) {
      assert.throws(
        () => resolveShard(input),
        (error: unknown) => error instanceof UserError && error.exitCode === 2 && message.test(error.message),
      );
    }
  });
});

describe('segments partition the whole exactly', () => {
  it('ranges, counts, items and keys, for many totals and shard counts', () => {
    for (let count = 1; count <= 17; count++) {
      for (const total of [0, 1, 2, 7, 100, 999, 10_007, 2 ** 53 - 1]) {
        let next = 0;
        let sum = 0;
        for (const shard of shardsOf(count)) {
          const { start, end } = sliceRange(total, shard);
          assert.equal(start, next, `contiguous n=${count} total=${total}`);
          assert.ok(end >= start);
          next = end;
          sum += sliceCount(total, shard);
        }
        assert.equal(next, total);
        if (total < 2 ** 52) assert.equal(sum, total);
      }
      const items = Array.from({ length: 1000 }, (_, i) => i);
      assert.deepEqual(
        shardsOf(count).flatMap((shard) => sliceItems(items, shard)),
        items,
      );
      for (let key = 0; key < 500; key++) {
        assert.equal(shardsOf(count).filter((shard) => ownsKey(key, shard)).length, 1);
      }
    }
  });

  it('arrival rates: integers split exactly, fractions to within 1e-6', () => {
    for (let count = 1; count <= 13; count++) {
      for (const rate of [1, 10, 333, 1000, 0.5, 12.345]) {
        const parts = shardsOf(count).map((shard) => sliceRate(rate, shard));
        assert.ok(parts.every((part) => part >= 0));
        const sum = parts.reduce((a, b) => a + b, 0);
        if (Number.isInteger(rate)) assert.equal(sum, rate);
        else assert.ok(Math.abs(sum - rate) < 1e-6, `rate ${rate} over ${count}: ${sum}`);
      }
    }
  });
});

describe('clock sync', () => {
  it('recovers a +250 ms skew within its stated uncertainty', async () => {
    const skewUs = 250_000;
    const coordinatorNow = () => performance.now() * 1000;
    const localClock = () => performance.now() * 1000 - skewUs;
    // A coordinator a few hundred µs away, with jittery asymmetric delays.
    const ask = async () => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
      const now = coordinatorNow();
      await new Promise((resolve) => setImmediate(resolve));
      return now;
    };
    const estimate = await estimateClockOffset(ask, { localClock, roundTrips: 12 });
    assert.ok(
      Math.abs(estimate.offsetUs - skewUs) <= estimate.uncertaintyUs,
      `offset ${estimate.offsetUs} ± ${estimate.uncertaintyUs}`,
    );
    assert.equal(clockInvalidReason(0, estimate, estimate, Math.max(estimate.uncertaintyUs, 1)), undefined);
  });

  /**
   * A simulated network on a virtual clock: the shard's clock is `skewUs` behind the coordinator's, and each
   * round trip's two legs take the delays given (µs), so every answer is known exactly.
   */
  function simulated(skewUs: number, legs: Array<[number, number]>) {
    let nowUs = 1_000_000;
    let trip = 0;
    const localClock = () => nowUs;
    const ask = async () => {
      const [out, back] = legs[Math.min(trip++, legs.length - 1)]!;
      nowUs += out;
      const coordinatorUs = nowUs + skewUs;
      nowUs += back;
      return coordinatorUs;
    };
    return { localClock, ask, trips: () => trip };
  }

  it('intersects the round trips: two slow ones delayed on opposite legs pin the offset down', async () => {
    // Each round trip alone bounds the offset within ± 5 ms; together, within ± 1 µs (the clocks' resolution).
    const { localClock, ask } = simulated(250_000, [
      [10_000, 0],
      [0, 10_000],
    ]);
    const estimate = await estimateClockOffset(ask, { localClock, roundTrips: 2 });
    assert.equal(estimate.offsetUs, 250_000);
    assert.equal(estimate.uncertaintyUs, 1);
  });

  it('the truth is always within the stated uncertainty, whatever the asymmetry', async () => {
    const random = mulberry32(7);
    for (let run = 0; run < 200; run++) {
      const skewUs = Math.round((random() - 0.5) * 2_000_000);
      const legs = Array.from({ length: 16 }, () => [Math.round(random() * 20_000), Math.round(random() * 20_000)]);
      const { localClock, ask } = simulated(skewUs, legs as Array<[number, number]>);
      const estimate = await estimateClockOffset(ask, { localClock });
      assert.ok(
        Math.abs(estimate.offsetUs - skewUs) <= estimate.uncertaintyUs,
        `run ${run}: ${estimate.offsetUs} ± ${estimate.uncertaintyUs}, truth ${skewUs}`,
      );
      // Never looser than the fastest round trip alone.
      const fastest = Math.min(...legs.map(([out, back]) => out! + back!));
      assert.ok(estimate.uncertaintyUs <= fastest / 2 + 1, `run ${run}: ${estimate.uncertaintyUs} > ${fastest / 2}`);
    }
  });

  it('a busy machine: keeps measuring until the target is met, or stops at the cap and says how uncertain', async () => {
    // 16 slow symmetric round trips (± 10 ms), then quick ones (± 0.5 ms): the estimate waits for those.
    const slowThenQuick = simulated(-40_000, [
      ...Array.from({ length: 16 }, () => [10_000, 10_000] as [number, number]),
      [500, 500],
    ]);
    const tight = await estimateClockOffset(slowThenQuick.ask, {
      localClock: slowThenQuick.localClock,
      targetUncertaintyUs: 2_500,
    });
    assert.equal(tight.samples, 17, 'one round trip past the 16 was enough');
    assert.ok(Math.abs(tight.offsetUs + 40_000) <= tight.uncertaintyUs && tight.uncertaintyUs <= 2_500);
    // Always slow: the cap (128 unless set), and the honest ± 10 ms.
    const alwaysSlow = simulated(-40_000, [[10_000, 10_000]]);
    const loose = await estimateClockOffset(alwaysSlow.ask, {
      localClock: alwaysSlow.localClock,
      targetUncertaintyUs: 2_500,
      maxRoundTrips: 40,
    });
    assert.equal(loose.samples, 40);
    assert.equal(loose.uncertaintyUs, 10_001);
    assert.match(clockInvalidReason(0, loose, loose) ?? '', /uncertain by 10\.00 ms/);
    // No target: 16 round trips, however loose.
    const fixed = simulated(0, [[10_000, 10_000]]);
    assert.equal((await estimateClockOffset(fixed.ask, { localClock: fixed.localClock })).samples, 16);
  });

  it('disjoint round trips (a clock stepped while measuring): both answers within the stated uncertainty', async () => {
    let nowUs = 0;
    let trip = 0;
    // The coordinator's clock jumps 1 ms forward after the first answer.
    const ask = async () => {
      nowUs += 100;
      const answer = nowUs + (trip++ === 0 ? 0 : 1_000);
      nowUs += 100;
      return answer;
    };
    const estimate = await estimateClockOffset(ask, { localClock: () => nowUs, roundTrips: 2 });
    assert.equal(estimate.offsetUs, 500, 'the middle of the two answers (0 and 1,000 µs)');
    assert.ok(
      Math.abs(estimate.offsetUs - 0) <= estimate.uncertaintyUs &&
        Math.abs(estimate.offsetUs - 1_000) <= estimate.uncertaintyUs,
    );
  });

  it('marks a run invalid beyond the bound, naming the shard', () => {
    const good = { offsetUs: 1000, uncertaintyUs: 200, samples: 8 };
    const drifted = { offsetUs: 9000, uncertaintyUs: 200, samples: 8 };
    assert.equal(clockInvalidReason(1, good, good), undefined);
    assert.match(clockInvalidReason(1, good, drifted) ?? '', /^shard 1: clock offset uncertain by 8\.00 ms/);
  });

  it('the bound is the scenario’s distributed.maxClockUncertaintyMs: 5 ms unless set, positive, at most 1 s', () => {
    assert.equal(DistributedSpecSchema.parse({}).maxClockUncertaintyMs, 5);
    const bound = DistributedSpecSchema.parse({ maxClockUncertaintyMs: 10 }).maxClockUncertaintyMs * 1000;
    const good = { offsetUs: 1000, uncertaintyUs: 200, samples: 8 };
    const drifted = { offsetUs: 9000, uncertaintyUs: 200, samples: 8 };
    assert.equal(clockInvalidReason(1, good, drifted, bound), undefined, '8 ms of drift is within a 10 ms bound');
    for (const bad of [0, -1, 1001]) {
      assert.equal(DistributedSpecSchema.safeParse({ maxClockUncertaintyMs: bad }).success, false, String(bad));
    }
  });

  it('a third clock (the push sink) through a shard: offsets subtract, uncertainties add', async () => {
    // Shard 250 ms ahead of the coordinator, sink 150 ms behind it: seen from the shard, the sink is 400 ms behind.
    const coordinatorNow = () => performance.now() * 1000;
    const localClock = () => coordinatorNow() + 250_000;
    const sinkNow = () => coordinatorNow() - 150_000;
    const toCoordinator = await estimateClockOffset(async () => coordinatorNow(), { localClock, roundTrips: 8 });
    const toSink = await estimateClockOffset(async () => sinkNow(), { localClock, roundTrips: 8 });
    const sink = offsetThrough(toCoordinator, toSink);
    assert.ok(
      Math.abs(sink.offsetUs - 150_000) <= sink.uncertaintyUs + 1,
      `sink offset ${sink.offsetUs} ± ${sink.uncertaintyUs}`,
    );
    assert.equal(sink.uncertaintyUs, toCoordinator.uncertaintyUs + toSink.uncertaintyUs);
    assert.match(
      clockInvalidReason("shard 1's push sink", { ...sink, uncertaintyUs: 6000 }, sink) ?? '',
      /^shard 1's push sink: clock offset uncertain by 6\.00 ms/,
    );
  });
});
