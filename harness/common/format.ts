/**
 * How the harness writes a number for a human: a duration in ms, a count, a rate, a percentage, bytes, a
 * percent change, a p-value, a run length. One style for every output, so the same value reads the same in
 * the terminal summary, summary.md, junit.xml and the HTML reports.
 *
 * The style is the HTML report's, chosen because it is the more readable one: the unit follows the number
 * after a space (`12.3 ms`, `1.5 KiB`, `12.5 %`), thousands are grouped (`120,000`), and a value gets as
 * many digits as its magnitude deserves (about three significant digits), not a fixed count of decimals.
 * k6's packed style (`10.5ms`, `840µs`, `120000`) saves a few columns but makes large counts hard to read
 * and mixes µs, ms and s in one column; the terminal keeps k6's layout of lines, with these numbers.
 * Missing values (no data, not finite) read as an em dash. Machine formats (JUnit's `time`, k6 duration
 * strings in scenario files, see duration.ts) are not for humans and are written where they are needed.
 */
import { isMetricName, METRICS, type MetricDefinition } from './metrics-catalogue.ts';

/** What a table cell or a line shows for a value that was not measured. */
export const NO_DATA = '—';

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `value` with at most `digits` decimals and no trailing zeros: 1.50 → `1.5`, 2.00 → `2`. */
function trimmed(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.?0+$/, '');
}

function missing(value: number | null | undefined): value is null | undefined {
  return value === null || value === undefined || !Number.isFinite(value);
}

const withDecimals = new Map<number, Intl.NumberFormat>();

/** A plain number, thousands grouped, at most `digits` decimals: `1,234.5`, `9.5`, `100`. */
export function formatNumber(value: number | null | undefined, digits = 2): string {
  if (missing(value)) return NO_DATA;
  let format = withDecimals.get(digits);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { maximumFractionDigits: digits });
    withDecimals.set(digits, format);
  }
  return format.format(value);
}

/** Milliseconds: `0.013 ms`, `0.42 ms`, `3.78 ms`, `12.3 ms`, `250 ms`, `1.25 s`, `12.3 s`, `125 s`, `3,600 s`. */
export function formatMs(value: number | null | undefined): string {
  if (missing(value)) return NO_DATA;
  const abs = Math.abs(value);
  if (abs === 0) return '0 ms';
  // Below a millisecond two significant digits keep microseconds visible (12.5 µs is `0.013 ms`, not `0.01 ms`).
  if (abs < 1) return `${Number(value.toPrecision(2))} ms`;
  if (abs < 10) return `${trimmed(value, 2)} ms`;
  if (abs < 100) return `${trimmed(value, 1)} ms`;
  // 999.6 ms rounds to a second: `1 s`, not `1000 ms`.
  if (abs < 999.5) return `${value.toFixed(0)} ms`;
  if (abs < 10_000) return `${trimmed(value / 1000, 2)} s`;
  if (abs < 100_000) return `${trimmed(value / 1000, 1)} s`;
  return `${grouped.format(value / 1000)} s`;
}

/** Seconds as a duration, in the style of formatMs: CPU time `12.3 s`, `850 ms`. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (missing(seconds)) return NO_DATA;
  return formatMs(seconds * 1000);
}

/** Whole counts: `1,234,567`. */
export function formatCount(value: number | null | undefined): string {
  if (missing(value)) return NO_DATA;
  return grouped.format(value);
}

/** Compact magnitudes for rates and axes: `950`, `12.5`, `9,506`, `45.2k`, `3.45M`, `1.2G`. */
export function formatCompact(value: number | null | undefined): string {
  if (missing(value)) return NO_DATA;
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${trimmed(value / 1e9, abs >= 1e10 ? 1 : 2)}G`;
  if (abs >= 1e6) return `${trimmed(value / 1e6, abs >= 1e7 ? 1 : 2)}M`;
  if (abs >= 1e4) return `${trimmed(value / 1e3, 1)}k`;
  if (abs >= 1e3) return grouped.format(value);
  if (abs >= 10 || value === 0) return trimmed(value, 1);
  return trimmed(value, 2);
}

/** Per-second rates: `0.06/s`, `2,000/s`, `45.2k/s`. */
export function formatPerSecond(value: number | null | undefined): string {
  if (missing(value)) return NO_DATA;
  return `${formatCompact(value)}/s`;
}

/** A fraction 0..1 as a percentage with three significant digits: `0 %`, `0.0123 %`, `12.5 %`, `100 %`. */
export function formatPercent(ratio: number | null | undefined): string {
  if (missing(ratio)) return NO_DATA;
  if (ratio === 0) return '0 %';
  const pct = ratio * 100;
  let text = Math.abs(pct) >= 100 ? pct.toFixed(0) : String(Number(pct.toPrecision(3)));
  // Just under 100 % must not round to 100 % (a ledger with 6 pushes missing is not complete).
  if (pct > 99 && pct < 100) text = trimmed(pct, Math.min(6, Math.ceil(-Math.log10(100 - pct)) + 1));
  return `${text} %`;
}

/** Bytes in binary units: `512 B`, `1.5 KiB`, `250 MiB`, `1.25 GiB`. */
export function formatBytes(value: number | null | undefined): string {
  if (missing(value)) return NO_DATA;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = value;
  let unit = 0;
  while (Math.abs(v) >= 1024 && unit < units.length - 1) {
    v /= 1024;
    unit++;
  }
  const digits = unit === 0 || Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${trimmed(v, digits)} ${units[unit]}`;
}

/**
 * A relative change (0.05 = 5 %) with its direction: `+200.0 %`, `−5.2 %`, `±0.0 %`. One fixed decimal, so a
 * column of changes lines up. `null` is a change from zero, which has no percentage: `n/a`.
 */
export function formatPercentChange(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return 'n/a';
  const sign = fraction > 0 ? '+' : fraction < 0 ? '−' : '±';
  return `${sign}${Math.abs(fraction * 100).toFixed(1)} %`;
}

/** A p-value: `p=0.086`, `p<0.001` (smaller values are all "certainly significant"). */
export function formatPValue(p: number | null | undefined): string {
  if (missing(p)) return NO_DATA;
  return p < 0.001 ? 'p<0.001' : `p=${p.toFixed(3)}`;
}

/** A run length in seconds: `45 s`, `10 min`, `10 min 5 s`, `1 h 2 min`. */
export function formatRunLength(seconds: number | null | undefined): string {
  if (missing(seconds)) return NO_DATA;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return m ? `${h} h ${m} min` : `${h} h`;
  return rest ? `${m} min ${rest} s` : `${m} min`;
}

/** Seconds since the run's start as a clock: `0:05`, `12:30`, `1:02:03`. */
export function formatOffset(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/**
 * An aggregate of a metric in the metric's unit. `aggregate` is the k6 aggregation's name (`p` for a
 * percentile, `avg`, `count`, `rate`, `value`, `min`…); it decides the unit for counters, whose `rate` is per second.
 * Trends are milliseconds, rate metrics a percentage, gauges and counts plain numbers; a name outside the
 * catalogue has no known unit and reads compact.
 */
export function formatMetricValue(metric: string, aggregate: string, value: number | null | undefined): string {
  if (missing(value)) return NO_DATA;
  if (!isMetricName(metric)) return formatCompact(value);
  const { kind, unit } = METRICS[metric] as MetricDefinition;
  if (kind === 'trend' || unit === 'ms') return formatMs(value);
  if (kind === 'rate') return formatPercent(value);
  if (kind === 'counter' && aggregate === 'rate') return formatPerSecond(value);
  if (unit === 'bytes') return formatBytes(value);
  return formatNumber(value);
}
