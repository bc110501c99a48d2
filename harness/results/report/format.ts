/**
 * Numbers as a reader wants them in a report table: always with their unit, with as many digits as the
 * magnitude deserves (0.42 ms, 12.3 ms, 1.25 s), thousands grouped. `null` (no data) reads as an em dash.
 */
import { isMetricName, METRICS, type MetricDefinition } from '../../common/metrics-catalogue.ts';

export const NO_DATA = '—';

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function trimmed(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.?0+$/, '');
}

function missing(value: number | null | undefined): value is null | undefined {
  return value === null || value === undefined || !Number.isFinite(value);
}

/** Milliseconds: `0.42 ms`, `12.3 ms`, `250 ms`, `1.25 s`, `12.3 s`, `125 s`. */
export function formatMs(value: number | null | undefined): string {
  if (missing(value)) return NO_DATA;
  const abs = Math.abs(value);
  if (abs < 10) return `${trimmed(value, 2)} ms`;
  if (abs < 100) return `${trimmed(value, 1)} ms`;
  if (abs < 1000) return `${value.toFixed(0)} ms`;
  if (abs < 10_000) return `${trimmed(value / 1000, 2)} s`;
  if (abs < 100_000) return `${trimmed(value / 1000, 1)} s`;
  return `${grouped.format(value / 1000)} s`;
}

/** Whole counts: `1,234,567`. */
export function formatCount(value: number | null | undefined): string {
  if (missing(value)) return NO_DATA;
  return grouped.format(value);
}

/** Compact magnitudes for rates and axes: `950`, `12.5`, `1.2k`, `3.45M`, `1.2G`. */
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

/** Per-second rates: `1,250/s`, `45.2k/s`. */
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

/** A run length: `45 s`, `10 min`, `10 min 5 s`, `1 h 2 min`. */
export function formatDuration(seconds: number | null | undefined): string {
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
 * The aggregate a threshold compared, in its metric's unit. k6 expressions name the aggregate first
 * (`p(99)<250`, `rate<0.01`, `count==0`), which decides the unit for counters (`rate` = per second).
 */
export function formatThresholdValue(metric: string, expression: string, value: number | null): string {
  if (value === null) return NO_DATA;
  if (!isMetricName(metric)) return formatCompact(value);
  const { kind, unit } = METRICS[metric] as MetricDefinition;
  const aggregate = expression.trim().split(/[<>=!\s]/, 1)[0] ?? '';
  if (kind === 'trend' || unit === 'ms') return formatMs(value);
  if (kind === 'rate') return formatPercent(value);
  if (kind === 'counter' && aggregate === 'rate') return formatPerSecond(value);
  if (unit === 'bytes') return formatBytes(value);
  return formatCount(value);
}
