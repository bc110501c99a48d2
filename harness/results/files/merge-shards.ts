/**
 * The exact parts of merging a sharded run's folders (`results/<run-id>/shards/<i>/`) into one run: HDR
 * histograms bucket by bucket (percentiles are never averaged — the merged histogram is the histogram of every
 * shard's samples) and counters summed. Per-stream loss accounting and per-second points are not merged here
 * yet (see harness/distributed/README.md).
 */
import * as hdr from 'hdr-histogram-js';

/** Merges each metric's encoded histograms (compressed base64, µs) across shards; a metric absent in a shard adds nothing. */
export function mergeShardHistograms(shards: readonly Record<string, string>[]): Record<string, string> {
  const merged = new Map<string, hdr.Histogram>();
  for (const histograms of shards) {
    for (const [metric, encoded] of Object.entries(histograms)) {
      // 64-bit counts: shards together can put more than 2^31 samples in one bucket.
      const decoded = hdr.decodeFromCompressedBase64(encoded, 64, false);
      const target = merged.get(metric);
      if (target) target.add(decoded);
      else merged.set(metric, decoded);
    }
  }
  return Object.fromEntries(
    [...merged].map(([metric, histogram]) => [metric, hdr.encodeIntoCompressedBase64(histogram)]),
  );
}

/** Sums counters by name across shards (deliveries, losses, pushes enqueued …). */
export function sumShardCounters(shards: readonly Record<string, number>[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const counters of shards) {
    for (const [name, value] of Object.entries(counters)) sums[name] = (sums[name] ?? 0) + value;
  }
  return sums;
}
