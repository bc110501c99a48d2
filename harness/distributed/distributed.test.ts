import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../common/errors.ts';
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
    const estimate = await estimateClockOffset(ask, { localClock, roundTrips: 12, keepBest: 3 });
    assert.ok(
      Math.abs(estimate.offsetUs - skewUs) <= estimate.uncertaintyUs,
      `offset ${estimate.offsetUs} ± ${estimate.uncertaintyUs}`,
    );
    assert.equal(clockInvalidReason(0, estimate, estimate, Math.max(estimate.uncertaintyUs, 1)), undefined);
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
