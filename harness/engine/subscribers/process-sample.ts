/**
 * CPU and RSS of one process from /proc, for benches that compare processes over the same window
 * (`sdk-comparison.bench.ts`). Reads /proc/<pid>/stat: utime + stime in clock ticks, RSS in pages.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: /proc's clock ticks per second (100 on Linux). */
const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

export interface ProcessSample {
  pid: number;
  cpuSeconds: number;
  /** The kernel's share of cpuSeconds (stime): socket reads, epoll, TCP acknowledgements. */
  systemSeconds: number;
  rssBytes: number;
}

/** The process's CPU and RSS now, or undefined when it is gone. */
export function sampleProcess(pid: number): ProcessSample | undefined {
  return sampleStat(pid, `/proc/${pid}/stat`);
}

/** One thread's CPU now (`/proc/<pid>/task/<tid>/stat`, same fields; RSS is the process's), or undefined. */
export function sampleThread(pid: number, tid: number): ProcessSample | undefined {
  return sampleStat(pid, `/proc/${pid}/task/${tid}/stat`);
}

function sampleStat(pid: number, path: string): ProcessSample | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    // Fields after the command name (which may contain spaces), counted from field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const systemTicks = Number(fields[12]);
    const cpuTicks = Number(fields[11]) + systemTicks;
    return {
      pid,
      cpuSeconds: cpuTicks / TICKS_PER_SECOND,
      systemSeconds: systemTicks / TICKS_PER_SECOND,
      rssBytes: Number(fields[21]) * PAGE_BYTES,
    };
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a child of `parent` (field 4 of /proc/<pid>/stat). A search by environment variable also
 * finds other runs' workers on a shared machine (another engineer's engine test has its own
 * `subscribers-1`); only this process's own children belong in its figures.
 */
export function isChildOf(pid: number, parent: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
  } catch {
    return false;
  }
}

/** Sums of CPU and RSS over processes (gone ones count as zero). */
export function sampleProcesses(pids: readonly number[]): Omit<ProcessSample, 'pid'> {
  let cpuSeconds = 0;
  let systemSeconds = 0;
  let rssBytes = 0;
  for (const pid of pids) {
    const s = sampleProcess(pid);
    if (!s) continue;
    cpuSeconds += s.cpuSeconds;
    systemSeconds += s.systemSeconds;
    rssBytes += s.rssBytes;
  }
  return { cpuSeconds, systemSeconds, rssBytes };
}
