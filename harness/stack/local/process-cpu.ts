import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux, what /proc/<pid>/stat counts in

/** utime, stime, cutime, cstime and the process group of one /proc/<pid>/stat line. */
function readStat(pid: string): { group: number; ticks: number; childTicks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      group: Number(fields[2]),
      ticks: Number(fields[11]) + Number(fields[12]),
      childTicks: Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by each process group (a service and every process it forked: PostgreSQL's
 * backends, ClickHouse's threads are in the leader). Children that already exited count through the
 * leader's cutime/cstime. Linux only; an empty record elsewhere.
 */
export function cpuSecondsByGroup(groups: Record<string, number>): Record<string, number> {
  const byGroup = new Map<number, number>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return {};
  }
  const wanted = new Set(Object.values(groups));
  for (const pid of pids) {
    const stat = readStat(pid);
    if (!stat || !wanted.has(stat.group)) continue;
    const own = Number(pid) === stat.group ? stat.childTicks : 0;
    byGroup.set(stat.group, (byGroup.get(stat.group) ?? 0) + stat.ticks + own);
  }
  return Object.fromEntries(
    Object.entries(groups).map(([name, group]) => [name, (byGroup.get(group) ?? 0) / TICKS_PER_SECOND]),
  );
}
