import { monitorEventLoopDelay } from 'node:perf_hooks';
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type { MetricSummary, TimeseriesPoint, TrendValues } from '../../common/summary-types.ts';

/** HdrHistogram in µs, 3 significant digits, 64-bit counts (a million samples per second is fine). */
export function newHistogram(): Histogram {
  return build({
    bitBucketSize: 64,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

export function decodeHistogram(encoded: string): Histogram {
  return decodeFromCompressedBase64(encoded, 64, false);
}

export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

const ms = (us: number) => Math.round(us) / 1000;

/** k6 trend aggregates in ms from a µs histogram. */
export function trendValues(h: Histogram): TrendValues {
  if (h.totalCount === 0) return { count: 0, avg: 0, min: 0, med: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: h.totalCount,
    avg: Math.round(h.mean) / 1000,
    min: ms(h.getValueAtPercentile(0)),
    med: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}

export function trendSummary(h: Histogram): MetricSummary {
  return { type: 'trend', unit: 'ms', ...trendValues(h) };
}

/**
 * The load generator watching itself: CPU, memory and event-loop delay per second. A saturated generator
 * (event loop p99 over 100 ms, or a fixed-rate flood falling behind its schedule) marks the run invalid.
 */
export class GeneratorMonitor {
  private readonly loop = monitorEventLoopDelay({ resolution: 10 });
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();
  private readonly startCpu = process.cpuUsage();
  peakRssBytes = 0;
  maxLoopP99Ms = 0;

  constructor() {
    this.loop.enable();
  }

  /** The last second's figures; resets the per-second state. */
  sample(): TimeseriesPoint['generator'] {
    const cpu = process.cpuUsage();
    const now = performance.now();
    const usedUs = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    const elapsedUs = Math.max(1, (now - this.lastAt) * 1000);
    this.lastCpu = cpu;
    this.lastAt = now;
    const loopP99Ms = this.loop.percentile(99) / 1e6;
    this.loop.reset();
    const rss = process.memoryUsage.rss();
    this.peakRssBytes = Math.max(this.peakRssBytes, rss);
    this.maxLoopP99Ms = Math.max(this.maxLoopP99Ms, loopP99Ms);
    return { cpu: usedUs / elapsedUs, eventLoopDelayP99Ms: Math.round(loopP99Ms * 100) / 100, rssBytes: rss };
  }

  cpuSeconds(): number {
    const cpu = process.cpuUsage(this.startCpu);
    return (cpu.user + cpu.system) / 1e6;
  }

  stop(): void {
    this.loop.disable();
  }
}

/** A gauge's summary: last value, min and max over the run. */
export class GaugeTracker {
  value = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  seen = false;

  set(value: number): void {
    this.value = value;
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
    this.seen = true;
  }

  summary(): MetricSummary {
    return this.seen
      ? { type: 'gauge', value: this.value, min: this.min, max: this.max }
      : { type: 'gauge', value: 0, min: 0, max: 0 };
  }
}

/**
 * Turns the sink's cumulative e2e histogram into per-second histograms: each poll subtracts the previous
 * snapshot (bucket counts only grow between resets), so every second has its own exact distribution.
 */
export class CumulativeHistogramDiff {
  private previous: Histogram | undefined;

  next(encoded: string | undefined): Histogram | undefined {
    if (!encoded) return undefined;
    const current = decodeHistogram(encoded);
    const delta = decodeHistogram(encoded);
    if (this.previous && current.totalCount >= this.previous.totalCount) delta.subtract(this.previous);
    this.previous = current;
    return delta;
  }
}
