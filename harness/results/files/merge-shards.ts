/**
 * The exact parts of merging a sharded run's folders (`results/<run-id>/shards/<i>/`) into one run: HDR
 * histograms bucket by bucket (percentiles are never averaged — the merged histogram is the histogram of every
 * shard's samples), counters summed, whole-run metric summaries and per-second points. Per-stream loss needs no
 * merging here: every shard accounts for what every shard published to its subscribers (run/shard-session.ts),
 * so the shards' expected / delivered / lost counters partition the whole and simply add up.
 */
import * as hdr from 'hdr-histogram-js';
import type { MetricSummary, TimeseriesPoint, TrendValues } from '../../common/summary-types.ts';

/** Merges each metric's encoded histograms (compressed base64, µs) across shards; a metric absent in a shard adds nothing. */
export function mergeShardHistograms(shards: readonly Record<string, string>[]): Record<string, string> {
  const merged = new Map<string, hdr.Histogram>();
  for (const histograms of shards) {
    for (const [metric, encoded] of Object.entries(histograms)) {
      const decoded = hdr.decodeFromCompressedBase64(encoded, 64, false);
      let target = merged.get(metric);
      if (!target) {
        // Auto-resizing, with the engine's precision: a decoded histogram covers only its own range, and another
        // shard's slowest sample may lie beyond it. 64-bit counts: shards together can exceed 2^31 in a bucket.
        target = hdr.build({
          bitBucketSize: 64,
          autoResize: true,
          lowestDiscernibleValue: 1,
          highestTrackableValue: 2,
          numberOfSignificantValueDigits: decoded.numberOfSignificantValueDigits as 3,
          useWebAssembly: false,
        });
        merged.set(metric, target);
      }
      target.add(decoded);
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

const ms = (us: number) => Math.round(us) / 1000;

/** k6 trend aggregates (ms) of an encoded histogram, computed as the engine computes a single process's. */
export function trendValuesOf(encoded: string): TrendValues {
  const histogram = hdr.decodeFromCompressedBase64(encoded, 64, false);
  const count = histogram.totalCount;
  if (count === 0) return { count: 0, avg: 0, min: 0, med: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  return {
    count,
    avg: Math.round(histogram.mean) / 1000,
    min: ms(histogram.getValueAtPercentile(0)),
    med: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p95: ms(histogram.getValueAtPercentile(95)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    max: ms(histogram.getValueAtPercentile(100)),
  };
}

/**
 * The whole-run metric summaries of the merged run: trends from the merged histograms (exact percentiles),
 * counters summed with their rate over the merged duration, rates' passes and fails summed, gauges summed (a
 * level of the whole fleet: connections, in-flight).
 */
export function mergeShardMetrics(
  shards: readonly Record<string, MetricSummary>[],
  histograms: Record<string, string>,
  durationS: number,
): Record<string, MetricSummary> {
  const out: Record<string, MetricSummary> = {};
  for (const metrics of shards) {
    for (const [name, metric] of Object.entries(metrics)) {
      const seen = out[name];
      if (metric.type === 'trend') {
        const encoded = histograms[name];
        if (encoded !== undefined) out[name] = { type: 'trend', unit: 'ms', ...trendValuesOf(encoded) };
      } else if (metric.type === 'counter') {
        const count = (seen?.type === 'counter' ? seen.count : 0) + metric.count;
        out[name] = { type: 'counter', count, rate: durationS > 0 ? count / durationS : 0 };
      } else if (metric.type === 'rate') {
        const passes = (seen?.type === 'rate' ? seen.passes : 0) + metric.passes;
        const fails = (seen?.type === 'rate' ? seen.fails : 0) + metric.fails;
        out[name] = { type: 'rate', passes, fails, rate: passes + fails > 0 ? passes / (passes + fails) : 0 };
      } else {
        const prior = seen?.type === 'gauge' ? seen : { value: 0, min: 0, max: 0 };
        out[name] = {
          type: 'gauge',
          value: prior.value + metric.value,
          min: prior.min + metric.min,
          max: prior.max + metric.max,
        };
      }
    }
  }
  return out;
}

/**
 * One per-second point of the merged run from the shards' points of the same coordinator second: counters and
 * gauges summed, latency histograms merged (percentiles from the merged histogram, never averaged), the
 * generator's CPU and memory summed and its worst event-loop delay kept.
 */
export function mergeShardPoints(t: number, ts: string, points: readonly TimeseriesPoint[]): TimeseriesPoint {
  const hdrByMetric = mergeShardHistograms(points.map((point) => point.hdr ?? {}));
  const trends: Record<string, TrendValues> = {};
  for (const [name, encoded] of Object.entries(hdrByMetric)) trends[name] = trendValuesOf(encoded);
  return {
    t,
    ts,
    trends,
    counters: sumShardCounters(points.map((point) => point.counters)),
    gauges: sumShardCounters(points.map((point) => point.gauges)),
    generator: {
      cpu: points.reduce((total, point) => total + point.generator.cpu, 0),
      eventLoopDelayP99Ms: Math.max(0, ...points.map((point) => point.generator.eventLoopDelayP99Ms)),
      rssBytes: points.reduce((total, point) => total + point.generator.rssBytes, 0),
    },
    hdr: hdrByMetric,
  };
}
