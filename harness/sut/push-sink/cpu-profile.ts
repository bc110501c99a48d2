import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';

/**
 * A V8 CPU profile of this sink process while `PUSH_SINK_CPU_PROFILE_DIR` is set: the stack spawns the sink and
 * node:cluster forks its workers, so `node --cpu-prof` cannot be passed (and Node refuses it in NODE_OPTIONS).
 * Started at boot, written as `<dir>/sink-<role>-<pid>.cpuprofile` at shutdown — open it in Chrome DevTools or
 * speedscope. Same convention as the relay's PUSH_RELAY_CPU_PROFILE_DIR.
 */
export async function startCpuProfile(role: string): Promise<(() => Promise<void>) | undefined> {
  const dir = process.env.PUSH_SINK_CPU_PROFILE_DIR;
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  // GC pauses by kind (the profile shows one "(garbage collector)" entry): count and milliseconds.
  const kinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental-marking',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
  };
  const gc: Record<string, { count: number; ms: number }> = {};
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = kinds[(entry as unknown as { detail: { kind: number } }).detail.kind] ?? 'other';
      const k = gc[kind] ?? { count: 0, ms: 0 };
      gc[kind] = k;
      k.count++;
      k.ms += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return async () => {
    observer.disconnect();
    writeFileSync(path.join(dir, `sink-${role}-${process.pid}.gc.json`), `${JSON.stringify(gc)}\n`);
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path.join(dir, `sink-${role}-${process.pid}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}
