/**
 * A process watching itself: event-loop delay (p99 over the last interval) and CPU share (of one core) and
 * RSS. When these are high the process is the bottleneck and its latency figures include its own
 * queueing — the engine marks such a run invalid (see ../honesty.ts).
 *
 * The delay is measured by a timer's lateness (`monitorEventLoopDelay`), and that timer is not free: on
 * the project's VM a 10 ms timer costs ~2.4 ms of CPU a second per process (each wakeup ~25 µs), as much
 * as 240 deliveries. So the resolution follows the load: 10 ms while the process was busy for at least
 * 20 ms in the previous interval, 100 ms otherwise (a process busy for less than 20 ms in a second cannot
 * have held its loop anywhere near the 50 ms limit; the coarse timer still measures whatever it meets).
 * Every value reported is a measured lateness, the resolution subtracted.
 */
import { type EventLoopUtilization, type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

export interface ProcessSample {
  /** CPU used in the interval as a share of one core (1 = a full core). */
  cpu: number;
  /** CPU-seconds used in the interval. */
  cpuSeconds: number;
  eventLoopDelayP99Ms: number;
  rssBytes: number;
}

const FINE_RESOLUTION_MS = 10;
const COARSE_RESOLUTION_MS = 100;
/** Event-loop busy time per second from which the next interval is watched at the fine resolution. */
const BUSY_MS_PER_SECOND = 20;

export class ProcessMonitor {
  private resolutionMs = FINE_RESOLUTION_MS;
  private histogram: IntervalHistogram = this.startHistogram();
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();
  private lastUtilization: EventLoopUtilization = performance.eventLoopUtilization();

  /** The interval since the previous sample (or since construction). */
  sample(): ProcessSample {
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    this.lastCpu = process.cpuUsage();
    const elapsedMs = Math.max(1, now - this.lastAt);
    this.lastAt = now;
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    // A timer of resolution r fires every r ms when the loop is free: subtract r to get the delay.
    const histogram = this.histogram;
    const p99 = histogram.count > 0 ? Math.max(0, histogram.percentile(99) / 1e6 - this.resolutionMs) : 0;
    const utilization = performance.eventLoopUtilization(this.lastUtilization);
    this.lastUtilization = performance.eventLoopUtilization();
    const busyMsPerSecond = (utilization.active / elapsedMs) * 1000;
    const resolutionMs = busyMsPerSecond >= BUSY_MS_PER_SECOND ? FINE_RESOLUTION_MS : COARSE_RESOLUTION_MS;
    if (resolutionMs !== this.resolutionMs) {
      histogram.disable();
      this.resolutionMs = resolutionMs;
      this.histogram = this.startHistogram();
    } else histogram.reset();
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

  private startHistogram(): IntervalHistogram {
    const histogram = monitorEventLoopDelay({ resolution: this.resolutionMs });
    histogram.enable();
    return histogram;
  }
}
