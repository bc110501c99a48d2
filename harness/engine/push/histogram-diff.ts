import type { MetricSummary, TimeseriesPoint } from '../../common/summary-types.ts';
import { decodeHistogram, type Histogram } from '../metrics/histogram.ts';
import { ProcessMonitor } from '../metrics/process-monitor.ts';

/**
 * The load generator watching itself, per second (the engine's ProcessMonitor), plus what the flood's
 * summary reports over the whole run: CPU-seconds, peak RSS and the worst second's event-loop delay.
 */
export class GeneratorMonitor {
  private readonly monitor = new ProcessMonitor();
  private readonly startCpu = process.cpuUsage();
  peakRssBytes = 0;
  maxLoopP99Ms = 0;

  /** The last second's figures; resets the per-second state. */
  sample(): TimeseriesPoint['generator'] {
    const { cpu, eventLoopDelayP99Ms, rssBytes } = this.monitor.sample();
    this.peakRssBytes = Math.max(this.peakRssBytes, rssBytes);
    this.maxLoopP99Ms = Math.max(this.maxLoopP99Ms, eventLoopDelayP99Ms);
    return { cpu, eventLoopDelayP99Ms, rssBytes };
  }

  cpuSeconds(): number {
    const cpu = process.cpuUsage(this.startCpu);
    return (cpu.user + cpu.system) / 1e6;
  }

  stop(): void {
    this.monitor.stop();
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
