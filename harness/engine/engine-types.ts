/** The engine's public types: what `runEngine` takes and returns (plain data; see index.ts). */
import type { StackFaults } from '../common/stack-types.ts';
import type {
  DeliverySample,
  MetricSummary,
  RunSummary,
  TimelineEvent,
  TimeseriesPoint,
} from '../common/summary-types.ts';
import type { AudienceMember } from './targets/publish-target.ts';

export interface EngineTargets {
  centrifugo: { wsUrls: string[]; apiUrls: string[]; apiKey: string; hmacSecret: string };
  /** Who receives which stream; absent → users u1..uN (N = subscribers.count), each owing `broadcast`. */
  audience?: AudienceMember[];
  /** Options for the publish target (pluggable targets such as chat-app read theirs from here). */
  targetOptions?: Record<string, unknown>;
}

export interface EngineProgress {
  phase: string;
  connected: number;
  target: number;
  publishedPerSec: number;
  deliveredPerSec: number;
  p99Ms: number | null;
}

export interface EngineHooks {
  signal?: AbortSignal;
  onPoint?(point: TimeseriesPoint): void;
  onEvent?(event: TimelineEvent): void;
  onProgress?(progress: EngineProgress): void;
  faults?: Partial<StackFaults>;
  /** Called each second with cumulative summaries; a returned reason stops the run early (abortOnFail). */
  checkAbort?(metrics: Record<string, MetricSummary>): string | undefined;
  /** Raw per-message rows: which fraction of deliveries (see metrics/delivery-sampler.ts), for onSamples. */
  samples?: SamplesOptions;
  /** Sampled deliveries, once a second (with the point) while deliveries happen; needs `samples.rate` > 0. */
  onSamples?(rows: DeliverySample[]): void;
}

export interface SamplesOptions {
  /** Fraction of deliveries kept as rows, 0..1 (0: none). */
  rate: number;
  /** Written into every row's run_id (default ''). */
  runId?: string;
  /** Rows per second, fleet-wide, at most (default 5000): past it a uniform sample of the second is kept. */
  maxPerSecond?: number;
}

export interface EngineResult {
  metrics: Record<string, MetricSummary>;
  errorsByCode: Record<string, number>;
  generator: RunSummary['generator'];
  valid: boolean;
  invalidReasons: string[];
  /** by: 'signal' (hooks.signal), 'threshold' (checkAbort), 'error' (a worker or the engine failed). */
  aborted: RunSummary['aborted'];
  timeline: TimelineEvent[];
  startedAt: string;
  endedAt: string;
  durationS: number;
  /** Cumulative HdrHistogram per trend (compressed base64, µs). */
  histograms: Record<string, string>;
}
