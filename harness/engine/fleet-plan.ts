/**
 * How many subscriber worker processes, and how many sockets each. One process per core by default — but a
 * process may hold only as many sockets as its open-files limit allows (20,000 on the project's machines;
 * read from /proc/self/limits), so large fleets get more processes, each under `maxSocketsPerWorker`.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Soft RLIMIT_NOFILE of this process (children inherit it). */
export function openFilesLimit(): number {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    if (match) return match[1] === 'unlimited' ? 1_000_000 : Number(match[1]);
  } catch {
    // not Linux: assume a common macOS-like default raised by the user
  }
  return 10_240;
}

export interface FleetPlan {
  workers: number;
  perWorker: number[];
  /** Sockets one worker may hold: min(maxSocketsPerWorker, 90% of the open-files limit minus headroom). */
  socketLimit: number;
  openFilesLimit: number;
}

/**
 * Fewer subscribers than this per worker are not worth another process under 'auto'. Measured (issue 18,
 * engine README "Issue 18 step 2"): 2,000 subscribers in one worker cost 0.59–0.61× of centrifuge-js's CPU
 * per delivery against 0.69–0.70× in two (one process wakes fewer times per delivery and pays its fixed
 * upkeep once), and a shared-channel ramp to 4,000 in one worker stayed valid (worst second's event-loop
 * p99 29 ms, 32 ms with two); 2,000 keeps a one-worker burst at half of that.
 */
const MIN_PER_AUTO_WORKER = 2000;

export function planFleet(
  count: number,
  options: { workers: 'auto' | number; maxSocketsPerWorker: number },
  limits = { openFiles: openFilesLimit(), cores: os.availableParallelism() },
): FleetPlan {
  const socketLimit = Math.max(1, Math.min(options.maxSocketsPerWorker, Math.floor((limits.openFiles - 256) * 0.9)));
  const needed = Math.ceil(count / socketLimit);
  let workers: number;
  if (count === 0) workers = 0;
  else if (options.workers === 'auto') {
    workers = Math.max(needed, Math.min(limits.cores, Math.ceil(count / MIN_PER_AUTO_WORKER)));
  } else workers = Math.max(options.workers, needed);
  workers = Math.min(workers, Math.max(count, 0));
  const perWorker = Array.from(
    { length: workers },
    (_, i) => Math.floor(count / workers) + (i < count % workers ? 1 : 0),
  );
  return { workers, perWorker, socketLimit, openFilesLimit: limits.openFiles };
}
