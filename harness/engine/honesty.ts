/**
 * Honest runs: a load generator that saturates measures itself. Every process (each worker and the
 * engine's own) reports its event-loop delay p99 and CPU share every second; a process over a limit for
 * `sustained` consecutive seconds while latency is being measured (publish and drain phases) makes the run
 * invalid, with a reason a human can act on.
 */
import type { ProcessSample } from './metrics/process-monitor.ts';

export interface HonestyLimits {
  maxEventLoopDelayP99Ms: number;
  maxCpuShare: number;
  /** ms */
  sustained: number;
}

interface Streak {
  seconds: number;
  peak: number;
  peakAt: number;
}

/** Every sustained streak of one process over one limit, folded into one finding. */
interface Finding {
  streaks: number;
  totalSeconds: number;
  longest: number;
  peak: number;
  peakAt: number;
}

interface Watch {
  streaks: Map<string, Streak>;
  findings: Map<string, Finding>;
  over(sample: ProcessSample): boolean;
  value(sample: ProcessSample): number;
  describe(process: string, finding: Finding): string;
}

/** "for 4 s in a row" for one streak; "in 5 streaks, 35 s in all (longest 12 s)" for several. */
function duration(f: Finding): string {
  return f.streaks === 1
    ? `for ${f.longest} s in a row`
    : `in ${f.streaks} streaks, ${f.totalSeconds} s in all (longest ${f.longest} s)`;
}

export class SaturationWatch {
  private readonly sustainedSeconds: number;
  private readonly watches: Watch[];

  /** `remedies`: what the reason advises, when the engine's advice (workers, subscribers) does not fit the generator. */
  constructor(limits: HonestyLimits, remedies: Partial<Record<'eventLoop' | 'cpu', string>> = {}) {
    const eventLoopRemedy = remedies.eventLoop ?? 'use more workers, fewer subscribers per process or a lower rate';
    const cpuRemedy = remedies.cpu ?? 'use more workers, a quieter machine or a lower load';
    this.sustainedSeconds = Math.max(1, Math.round(limits.sustained / 1000));
    this.watches = [
      {
        streaks: new Map(),
        findings: new Map(),
        over: (s) => s.eventLoopDelayP99Ms > limits.maxEventLoopDelayP99Ms,
        value: (s) => s.eventLoopDelayP99Ms,
        describe: (process, f) =>
          `${process}: event-loop delay p99 above ${limits.maxEventLoopDelayP99Ms} ms ${duration(f)} ` +
          `(peak ${f.peak} ms at ${f.peakAt} s): the load generator saturated, so latency includes its own ` +
          `queueing; ${eventLoopRemedy}`,
      },
      {
        streaks: new Map(),
        findings: new Map(),
        over: (s) => s.cpu > limits.maxCpuShare,
        value: (s) => Math.round(s.cpu * 100),
        describe: (process, f) =>
          `${process}: CPU above ${Math.round(limits.maxCpuShare * 100)}% of a core ${duration(f)} ` +
          `(peak ${f.peak}% at ${f.peakAt} s): the load generator saturated; ${cpuRemedy}`,
      },
    ];
  }

  /** One second of one process at run time `t` (s). `measuring` is false outside publish/drain. */
  observe(process: string, sample: ProcessSample, t: number, measuring: boolean): void {
    for (const watch of this.watches) {
      const streak = watch.streaks.get(process);
      if (!measuring || !watch.over(sample)) {
        if (streak) this.close(watch, process, streak);
        continue;
      }
      const value = watch.value(sample);
      if (!streak) watch.streaks.set(process, { seconds: 1, peak: value, peakAt: t });
      else {
        streak.seconds++;
        if (value > streak.peak) {
          streak.peak = value;
          streak.peakAt = t;
        }
      }
    }
  }

  private close(watch: Watch, process: string, streak: Streak): void {
    watch.streaks.delete(process);
    if (streak.seconds < this.sustainedSeconds) return;
    const f = watch.findings.get(process);
    if (!f) {
      watch.findings.set(process, {
        streaks: 1,
        totalSeconds: streak.seconds,
        longest: streak.seconds,
        peak: streak.peak,
        peakAt: streak.peakAt,
      });
      return;
    }
    f.streaks++;
    f.totalSeconds += streak.seconds;
    f.longest = Math.max(f.longest, streak.seconds);
    if (streak.peak > f.peak) {
      f.peak = streak.peak;
      f.peakAt = streak.peakAt;
    }
  }

  /** Sustained findings so far (closed streaks only): one reason per process and limit. */
  get reasons(): string[] {
    return this.watches.flatMap((watch) => [...watch.findings].map(([process, f]) => watch.describe(process, f)));
  }

  /** Closes open streaks; returns every reason (empty = the generator kept up). */
  finish(): string[] {
    for (const watch of this.watches) {
      for (const [process, streak] of [...watch.streaks]) this.close(watch, process, streak);
    }
    return this.reasons;
  }
}
