/**
 * A process watching itself: event-loop delay (p99 over the last interval) and CPU share (of one core) and
 * RSS. When these are high the process is the bottleneck and its latency figures include its own
 * queueing — the engine marks such a run invalid (see ../honesty.ts).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface ProcessSample {
  /** CPU used in the interval as a share of one core (1 = a full core). */
  cpu: number;
  /** CPU-seconds used in the interval. */
  cpuSeconds: number;
  eventLoopDelayP99Ms: number;
  rssBytes: number;
}

export class ProcessMonitor {
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 });
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  constructor() {
    this.histogram.enable();
  }

  /** The interval since the previous sample (or since construction). */
  sample(): ProcessSample {
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    this.lastCpu = process.cpuUsage();
    const elapsedMs = Math.max(1, now - this.lastAt);
    this.lastAt = now;
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    // With 10 ms resolution an idle loop reports ~10 ms; subtract the sampling period to get the delay.
    const p99 = this.histogram.count > 0 ? Math.max(0, this.histogram.percentile(99) / 1e6 - 10) : 0;
    this.histogram.reset();
    return {
      cpu: cpuSeconds / (elapsedMs / 1000),
      cpuSeconds,
      eventLoopDelayP99Ms: Math.round(p99 * 10) / 10,
      rssBytes: process.memoryUsage.rss(),
    };
  }

  stop(): void {
    this.histogram.disable();
  }
}
