import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental-marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
};

/**
 * A V8 CPU profile of this process while the directory variable `dirVariable` is set. The stack spawns the relay
 * and the sink, and the sink's workers are node:cluster forks, so `node --cpu-prof` cannot be passed (and Node
 * refuses it in NODE_OPTIONS). Started at boot; at shutdown the returned function writes
 * `<dir>/<name>-<pid>.cpuprofile` (Chrome DevTools, speedscope) and `<dir>/<name>-<pid>.gc.json` — GC pauses by
 * kind (count, ms), because the profile shows all of GC as one "(garbage collector)" entry.
 * Returns undefined, and costs nothing, when the variable is unset.
 */
export async function startCpuProfile(dirVariable: string, name: string): Promise<(() => Promise<void>) | undefined> {
  const dir = process.env[dirVariable];
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const gc: Record<string, { count: number; ms: number }> = {};
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[(entry as unknown as { detail: { kind: number } }).detail.kind] ?? 'other';
      const pauses = gc[kind] ?? { count: 0, ms: 0 };
      gc[kind] = pauses;
      pauses.count++;
      pauses.ms += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return async () => {
    observer.disconnect();
    writeFileSync(path.join(dir, `${name}-${process.pid}.gc.json`), `${JSON.stringify(gc)}\n`);
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path.join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}
