import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { build, encodeIntoCompressedBase64, type JsHistogram } from 'hdr-histogram-js';
import {
  BUCKETS_PER_OCTAVE,
  bucketIndex,
  bucketsQuantileUs,
  bucketUpperUs,
  hdrToBuckets,
  histQuantileMsSql,
} from './histogram-buckets.ts';

describe('log buckets for mergeable histograms', () => {
  test('a value lands in the bucket whose bounds hold it', () => {
    for (const v of [1, 2, 3, 7, 100, 999, 1000, 1024, 1025, 65_537, 12_345_678]) {
      const i = bucketIndex(v);
      assert.ok(v <= bucketUpperUs(i) * (1 + 1e-12), `${v} above its bucket ${i}`);
      if (v > 1) assert.ok(v > bucketUpperUs(i - 1), `${v} belongs to a lower bucket than ${i}`);
    }
    assert.equal(bucketIndex(0), 0);
    assert.equal(bucketIndex(1024), 10 * BUCKETS_PER_OCTAVE); // powers of two are exact upper bounds
  });

  test('an HdrHistogram re-buckets with its count kept and percentiles within one bucket (4.4 %)', () => {
    const h = build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 3,
    });
    for (let v = 1; v <= 100_000; v++) h.recordValue(v);
    h.recordValueWithCount(5_000_000, 10);
    const buckets = hdrToBuckets(encodeIntoCompressedBase64(h));
    assert.equal(
      buckets.cnt.reduce((a, b) => a + b, 0),
      100_010,
    );
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = h.getValueAtPercentile(q * 100);
      const fromBuckets = bucketsQuantileUs(buckets, q);
      assert.ok(fromBuckets >= exact * 0.999, `p${q * 100}: ${fromBuckets} below ${exact}`);
      assert.ok(fromBuckets <= exact * 1.045, `p${q * 100}: ${fromBuckets} more than 4.4 % above ${exact}`);
    }
    assert.ok(bucketsQuantileUs(buckets, 1) >= 5_000_000);
  });

  test('walking the counts array gives what RecordedValuesIterator gives', () => {
    const h = build({ numberOfSignificantValueDigits: 3 });
    for (let i = 0; i < 5000; i++) h.recordValue(Math.round(1000 + ((i * 7919) % 50_000) + (i % 97) * 1000));
    const expected = new Map<number, number>();
    const iterator = (h as JsHistogram).recordedValuesIterator;
    iterator.reset();
    while (iterator.hasNext()) {
      const v = iterator.next();
      const i = bucketIndex(v.valueIteratedTo);
      expected.set(i, (expected.get(i) ?? 0) + v.countAtValueIteratedTo);
    }
    const actual = hdrToBuckets(encodeIntoCompressedBase64(h));
    assert.deepEqual(
      actual.idx.map((i, k) => [i, actual.cnt[k]]),
      [...expected.entries()].sort((a, b) => a[0] - b[0]),
    );
  });

  test('buckets of two histograms add up to the buckets of their merge', () => {
    const a = build({ numberOfSignificantValueDigits: 3 });
    const b = build({ numberOfSignificantValueDigits: 3 });
    for (let i = 0; i < 1000; i++) a.recordValue(100 + i);
    for (let i = 0; i < 500; i++) b.recordValue(20_000 + i * 7);
    const merged = build({ numberOfSignificantValueDigits: 3 });
    merged.add(a);
    merged.add(b);
    const sum = new Map<number, number>();
    for (const part of [a, b]) {
      const x = hdrToBuckets(encodeIntoCompressedBase64(part));
      x.idx.forEach((i, k) => {
        sum.set(i, (sum.get(i) ?? 0) + (x.cnt[k] ?? 0));
      });
    }
    const direct = hdrToBuckets(encodeIntoCompressedBase64(merged));
    assert.deepEqual(
      direct.idx.map((i, k) => [i, direct.cnt[k]]),
      [...sum.entries()].sort((x, y) => x[0] - y[0]),
    );
  });

  test('a corrupt encoding throws (callers keep the row, without buckets)', () => {
    assert.throws(() => hdrToBuckets('bm90IGEgaGlzdG9ncmFt'));
  });

  test('the SQL quantile takes no column into a lambda (18.16 lambdas cannot capture)', () => {
    const sql = histQuantileMsSql('hist', 0.99);
    assert.match(sql, /replicate\(/);
    assert.throws(() => histQuantileMsSql('hist', 0));
  });
});
