import { existsSync, readFileSync } from 'node:fs';

/** Where a container's CPU time is counted, and in what unit. */
export interface CgroupCpuCounter {
  file: string;
  /** cgroup v2 `cpu.stat` (`usage_usec`, microseconds) or v1 `cpuacct.usage` (nanoseconds). */
  kind: 'v2' | 'v1';
}

/**
 * The cgroup counter of a container's processes, found from its main process (`/proc/<pid>/cgroup`; the pid
 * is the engine's inspect `State.Pid`): cgroup v2's `cpu.stat` (unified, or hybrid under
 * `/sys/fs/cgroup/unified`), else v1's `cpuacct.usage`. The counter covers every process of the container,
 * forked ones and exited ones included. Undefined when the engine's processes are not visible from here
 * (a remote or VM-hosted engine): the service then has no CPU figure, as the Stack contract allows.
 */
export function cgroupCpuCounter(pid: number): CgroupCpuCounter | undefined {
  let lines: string[];
  try {
    lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  } catch {
    return undefined;
  }
  const unified = lines.find((line) => line.startsWith('0::'))?.slice(3);
  if (unified !== undefined) {
    for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
      const file = `${root}${unified}/cpu.stat`;
      if (unified !== '/' && existsSync(file)) return { file, kind: 'v2' };
    }
  }
  const v1 = lines
    .map((line) => line.split(':'))
    .find(([, controllers]) => controllers?.split(',').includes('cpuacct'));
  if (v1) {
    const [, controllers, cgroupPath] = v1;
    for (const mount of [controllers, 'cpuacct', 'cpu,cpuacct']) {
      const file = `/sys/fs/cgroup/${mount}${cgroupPath}/cpuacct.usage`;
      if (existsSync(file)) return { file, kind: 'v1' };
    }
  }
  return undefined;
}

/** CPU seconds the counter holds so far; undefined once the cgroup is gone (the container stopped). */
export function readCgroupCpuSeconds(counter: CgroupCpuCounter): number | undefined {
  let text: string;
  try {
    text = readFileSync(counter.file, 'utf8');
  } catch {
    return undefined;
  }
  if (counter.kind === 'v1') return Number(text.trim()) / 1e9;
  const usec = /^usage_usec (\d+)$/m.exec(text)?.[1];
  return usec === undefined ? undefined : Number(usec) / 1e6;
}
