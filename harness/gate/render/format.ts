/** Number formatting shared by the terminal, Markdown and JUnit renderers (k6-like: 10.5ms, 840µs, 1.2s). */
import { isMetricName, METRICS } from '../../common/metrics-catalogue.ts';
import type { ThresholdResult } from '../../common/summary-types.ts';
import { parseThresholdExpression } from '../thresholds.ts';

function trim(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/** Milliseconds as k6 prints durations. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const abs = Math.abs(ms);
  if (abs === 0) return '0s';
  if (abs < 1) return `${trim((ms * 1000).toFixed(2))}µs`;
  if (abs < 1000) return `${trim(ms.toFixed(2))}ms`;
  return `${trim((ms / 1000).toFixed(2))}s`;
}

/** A plain number: integers as they are, others with up to `digits` decimals. */
export function formatNumber(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : trim(value.toFixed(digits));
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${trim((bytes / 1024 ** 3).toFixed(2))} GiB`;
  if (bytes >= 1024 ** 2) return `${trim((bytes / 1024 ** 2).toFixed(1))} MiB`;
  if (bytes >= 1024) return `${trim((bytes / 1024).toFixed(1))} KiB`;
  return `${bytes} B`;
}

export function formatPercentChange(fraction: number | null): string {
  if (fraction === null) return 'n/a';
  const sign = fraction > 0 ? '+' : fraction < 0 ? '−' : '±';
  return `${sign}${Math.abs(fraction * 100).toFixed(1)}%`;
}

export function formatPValue(p: number | null): string {
  if (p === null) return '—';
  return p < 0.001 ? 'p<0.001' : `p=${p.toFixed(3)}`;
}

/** The measured side of a threshold line: `p(99)=10.5ms`, `count=0`, `rate=20/s`, `no data`. */
export function formatThresholdValue(result: ThresholdResult): string {
  const kind = isMetricName(result.metric) ? METRICS[result.metric].kind : undefined;
  const parsed = parseThresholdExpression(result.expression, kind);
  const label = parsed.ok
    ? parsed.value.aggregation.name === 'p'
      ? `p(${parsed.value.aggregation.percentile})`
      : parsed.value.aggregation.name
    : 'value';
  if (result.value === null) return kind === 'counter' ? `${label}=0 (no data)` : `${label}: no data`;
  if (kind === 'trend') return `${label}=${formatMs(result.value)}`;
  if (kind === 'counter' && label === 'rate') return `${label}=${formatNumber(result.value)}/s`;
  return `${label}=${formatNumber(result.value, 4)}`;
}

/** Section a metric is listed under: the push pipeline or delivery through Centrifugo. */
export function metricGroup(name: string): 'DELIVERY' | 'PUSH' | 'OTHER' {
  if (!isMetricName(name)) return 'OTHER';
  return name.startsWith('push') ? 'PUSH' : 'DELIVERY';
}

/** Catalogue order first (the order a reader expects), then anything else alphabetically. */
export function metricOrder(names: string[]): string[] {
  const catalogue = Object.keys(METRICS);
  const rank = (name: string) => {
    const index = catalogue.indexOf(name);
    return index === -1 ? catalogue.length : index;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
