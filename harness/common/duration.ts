/**
 * k6 duration strings: '30s', '1m30s', '500ms', '1h', '2.5s', combinations in descending units.
 * A bare number is milliseconds (k6 treats bare numbers in options as ms).
 *
 * Both directions live here: parseDuration reads what a scenario file says, formatK6Duration writes a
 * duration back in that same language (plan lines, executor descriptions echo the scenario's options).
 * A run length or a latency in a report is written for a reader instead: see format.ts.
 */
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001 };
const PART = /(\d+(?:\.\d+)?)(ms|us|µs|h|m|s)/y;

export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new Error(`invalid duration ${input}`);
    return input;
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  let total = 0;
  let index = 0;
  while (index < text.length) {
    PART.lastIndex = index;
    const match = PART.exec(text);
    if (!match) throw new Error(`invalid duration '${input}' (use k6 style: '30s', '1m30s', '500ms')`);
    total += Number(match[1]) * (UNIT_MS[match[2]!] as number);
    index = PART.lastIndex;
  }
  if (index === 0) throw new Error(`invalid duration '${input}' (use k6 style: '30s', '1m30s', '500ms')`);
  return total;
}

/** k6's rendering: 90000 → '1m30s', 600000 → '10m0s', 500 → '500ms', 3600000 → '1h0m0s'. */
export function formatK6Duration(ms: number): string {
  if (ms < 1000 && ms > 0 && !Number.isInteger(ms / 1000)) return `${Math.round(ms)}ms`;
  let seconds = ms / 1000;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const s = Number.isInteger(seconds) ? String(seconds) : seconds.toFixed(1).replace(/\.0$/, '');
  if (hours) return `${hours}h${minutes}m${s}s`;
  if (minutes) return `${minutes}m${s}s`;
  return `${s}s`;
}
