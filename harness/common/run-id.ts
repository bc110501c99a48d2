import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** `20261123-193000-a1b2`: sortable by start time, unique enough for one machine. */
export function newRunId(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `${date}-${time}-${randomBytes(2).toString('hex')}`;
}

/** Where runs are written: $CENTRIFUGO_BENCH_RESULTS, else ./results. */
export function resultsRoot(): string {
  return path.resolve(process.env.CENTRIFUGO_BENCH_RESULTS || 'results');
}
