import * as hdr from 'hdr-histogram-js';
import { histogramFigures } from '../../common/histogram-pass.ts';
import type { Provider } from './faults.ts';

/**
 * What one worker counted since start (or the last reset), and how snapshots of every worker merge into the
 * answer of `GET /__sink/stats`. Histograms travel as compressed base64 and are added, never averaged.
 */
export type Counters = Record<string, Record<string, number>>;

export interface WorkerSnapshot {
  requests: Counters;
  reasons: Counters;
  receipts: number;
  validateOnly: number;
  latency: string;
  perSecond: [number, number][];
  deadHits: Record<Provider, [number, number][]>;
  webpush: { decrypted: number; decryptFailed: number; vapidVerified: number; vapidCacheHits: number };
  quotaThrottled: number;
}

const PER_SECOND_KEPT = 600;
/** The percentiles of `GET /__sink/stats`'s latency, ascending. */
const LATENCY_PERCENTILES = [50, 90, 99, 99.9] as const;
const HIGHEST_US = 3_600_000_000; // one hour

export function newLatencyHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
}

function bump(counters: Counters, group: string, key: string, n = 1): void {
  const g = counters[group] ?? {};
  counters[group] = g;
  g[key] = (g[key] ?? 0) + n;
}

export class WorkerStats {
  requests: Counters = {};
  reasons: Counters = {};
  receipts = 0;
  validateOnly = 0;
  latency = newLatencyHistogram();
  perSecond = new Map<number, number>();
  deadHits: Record<Provider, Map<number, number>> = { fcm: new Map(), webpush: new Map() };
  decrypted = 0;
  decryptFailed = 0;

  /** One answered request: `route` is fcm, webpush, token or control; `reason` says why (README). */
  count(route: string, status: number, reason: string): void {
    bump(this.requests, route, String(status));
    bump(this.reasons, route, reason);
  }

  accepted(acceptedUs: number, enqueuedUs: number | undefined): void {
    this.receipts++;
    const second = Math.floor(acceptedUs / 1e6);
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1);
    if (this.perSecond.size > PER_SECOND_KEPT + 60) {
      for (const key of this.perSecond.keys()) {
        if (key < second - PER_SECOND_KEPT) this.perSecond.delete(key);
      }
    }
    if (enqueuedUs !== undefined) {
      const e2e = acceptedUs - enqueuedUs;
      if (e2e >= 0 && e2e <= HIGHEST_US) this.latency.recordValue(e2e);
    }
  }

  deadHit(provider: Provider, device: number): void {
    const hits = this.deadHits[provider];
    hits.set(device, (hits.get(device) ?? 0) + 1);
  }

  snapshot(vapid: { verified: number; cacheHits: number }, quotaThrottled: number): WorkerSnapshot {
    return {
      requests: this.requests,
      reasons: this.reasons,
      receipts: this.receipts,
      validateOnly: this.validateOnly,
      latency: hdr.encodeIntoCompressedBase64(this.latency),
      perSecond: [...this.perSecond],
      deadHits: { fcm: [...this.deadHits.fcm], webpush: [...this.deadHits.webpush] },
      webpush: {
        decrypted: this.decrypted,
        decryptFailed: this.decryptFailed,
        vapidVerified: vapid.verified,
        vapidCacheHits: vapid.cacheHits,
      },
      quotaThrottled,
    };
  }

  reset(): void {
    this.requests = {};
    this.reasons = {};
    this.receipts = 0;
    this.validateOnly = 0;
    this.latency = newLatencyHistogram();
    this.perSecond.clear();
    this.deadHits = { fcm: new Map(), webpush: new Map() };
    this.decrypted = 0;
    this.decryptFailed = 0;
  }
}

export interface LatencySummary {
  unit: 'us';
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  histogram: string;
}

export interface DeadSummary {
  tokens: number;
  hits: number;
  repeatHits: number;
  maxHits: number;
}

export interface MergedStats {
  requests: Counters;
  reasons: Counters;
  receipts: number;
  validateOnly: number;
  latency: LatencySummary;
  deliveredPerSecond: { second: number; count: number }[];
  dead: Record<Provider, DeadSummary>;
  webpush: WorkerSnapshot['webpush'];
  quotaThrottled: number;
}

function addCounters(into: Counters, from: Counters): void {
  for (const group in from) for (const key in from[group]) bump(into, group, key, from[group]?.[key] ?? 0);
}

export function mergeDeadHits(snapshots: WorkerSnapshot[], provider: Provider): Map<number, number> {
  const merged = new Map<number, number>();
  for (const s of snapshots)
    for (const [device, hits] of s.deadHits[provider]) merged.set(device, (merged.get(device) ?? 0) + hits);
  return merged;
}

function deadSummary(hits: Map<number, number>): DeadSummary {
  let total = 0;
  let max = 0;
  for (const n of hits.values()) {
    total += n;
    if (n > max) max = n;
  }
  return { tokens: hits.size, hits: total, repeatHits: total - hits.size, maxHits: max };
}

export function mergeSnapshots(snapshots: WorkerSnapshot[]): MergedStats {
  const requests: Counters = {};
  const reasons: Counters = {};
  const latency = newLatencyHistogram();
  const perSecond = new Map<number, number>();
  const webpush = { decrypted: 0, decryptFailed: 0, vapidVerified: 0, vapidCacheHits: 0 };
  let receipts = 0;
  let validateOnly = 0;
  let quotaThrottled = 0;
  for (const s of snapshots) {
    addCounters(requests, s.requests);
    addCounters(reasons, s.reasons);
    receipts += s.receipts;
    validateOnly += s.validateOnly;
    quotaThrottled += s.quotaThrottled;
    latency.add(hdr.decodeFromCompressedBase64(s.latency, 32));
    for (const [second, count] of s.perSecond) perSecond.set(second, (perSecond.get(second) ?? 0) + count);
    for (const key of Object.keys(webpush) as (keyof typeof webpush)[]) webpush[key] += s.webpush[key];
  }
  const count = latency.totalCount;
  // One pass instead of the library's `mean` and four `getValueAtPercentile` walks: the flood polls the
  // stats every second, and the library's `mean` alone cost the primary ~5 ms a poll late in a flood.
  const { mean, values } = histogramFigures(latency, LATENCY_PERCENTILES);
  const [p50, p90, p99, p999] = values as [number, number, number, number];
  return {
    requests,
    reasons,
    receipts,
    validateOnly,
    latency: {
      unit: 'us',
      count,
      min: count ? latency.minNonZeroValue : 0,
      mean: Math.round(mean),
      p50,
      p90,
      p99,
      p999,
      max: latency.maxValue,
      histogram: hdr.encodeIntoCompressedBase64(latency),
    },
    deliveredPerSecond: [...perSecond]
      .sort((a, b) => a[0] - b[0])
      .slice(-PER_SECOND_KEPT)
      .map(([second, n]) => ({ second, count: n })),
    dead: {
      fcm: deadSummary(mergeDeadHits(snapshots, 'fcm')),
      webpush: deadSummary(mergeDeadHits(snapshots, 'webpush')),
    },
    webpush,
    quotaThrottled,
  };
}
