import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as hdr from 'hdr-histogram-js';
import { mulberry32 } from '../../common/seeded-random.ts';
import { mergeShardHistograms, sumShardCounters } from './merge-shards.ts';

const newHistogram = () =>
  hdr.build({ bitBucketSize: 64, autoResize: true, numberOfSignificantValueDigits: 3, useWebAssembly: false });

describe('merge shards', () => {
  it('merged histogram == the histogram of all samples, bucket by bucket', () => {
    const random = mulberry32(13);
    const whole = newHistogram();
    const shards = [newHistogram(), newHistogram(), newHistogram()];
    for (let sample = 0; sample < 30_000; sample++) {
      const valueUs = Math.floor(200 + random() ** 4 * 2_000_000);
      whole.recordValue(valueUs);
      shards[sample % 3]?.recordValue(valueUs);
    }
    const merged = mergeShardHistograms([
      ...shards.map((histogram) => ({ delivery_latency: hdr.encodeIntoCompressedBase64(histogram) })),
      {},
    ]);
    const decoded = hdr.decodeFromCompressedBase64(merged.delivery_latency ?? '', 64, false);
    assert.equal(decoded.totalCount, whole.totalCount);
    for (const percentile of [0, 50, 90, 99, 99.9, 99.99, 100]) {
      assert.equal(decoded.getValueAtPercentile(percentile), whole.getValueAtPercentile(percentile), `p${percentile}`);
    }
    assert.equal(decoded.mean, whole.mean);
  });

  it('counters of a synthetic split sum to the single-process counts', () => {
    const single = { deliveries: 1000, lost: 3, duplicated: 1 };
    const split: Record<string, number>[] = [
      { deliveries: 333, lost: 1 },
      { deliveries: 334, lost: 2, duplicated: 1 },
      { deliveries: 333, lost: 0 },
    ];
    assert.deepEqual(sumShardCounters(split), single);
  });
});
