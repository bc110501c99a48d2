/**
 * What a load driver is to the run pipeline (harness/run): the WebSocket engine (`runEngine`) and the
 * push flood (`runPushFlood`) both take these hooks and return this result, so files, ClickHouse,
 * thresholds and reports never care which one ran. Plain data only: a driver knows nothing of the stack,
 * the results or the CLI; the pipeline turns the stack's endpoints into the driver's targets.
 *
 * A run, whichever driver: phases on the timeline → one TimeseriesPoint a second (`onPoint`) → exact
 * accounting (subscriber deliveries, or the push ledger) → a result with whole-run HDR histograms and the
 * verdict of the same saturation watch (honesty.ts) on the generator's own processes.
 */
import type { MetricSummary, PushLedger, RunSummary, TimelineEvent, TimeseriesPoint } from '../common/summary-types.ts';

/** The live line: which phase, how far along (connections, or devices / pushes), rates and p99 so far. */
export interface DriverProgress {
  phase: string;
  /** Done so far in this phase: connected subscribers, registered devices or enqueued pushes. */
  connected: number;
  /** What the phase aims for. */
  target: number;
  publishedPerSec: number;
  deliveredPerSec: number;
  p99Ms: number | null;
}

export interface DriverHooks {
  /** Aborted: the driver stops, accounts for what it did, and returns (aborted.by 'signal'). */
  signal?: AbortSignal;
  /** Each second of the run, the whole generator merged. Must not block. */
  onPoint?(point: TimeseriesPoint): void;
  onEvent?(event: TimelineEvent): void;
  onProgress?(progress: DriverProgress): void;
  /** Called each second with cumulative summaries; a returned reason stops the run early (abortOnFail). */
  checkAbort?(metrics: Record<string, MetricSummary>): string | undefined;
}

export interface DriverResult {
  metrics: Record<string, MetricSummary>;
  errorsByCode: Record<string, number>;
  generator: RunSummary['generator'];
  /** False when the generator saturated or could not account for the run: its numbers are not trustworthy. */
  valid: boolean;
  invalidReasons: string[];
  /** by: 'signal' (hooks.signal), 'threshold' (checkAbort), 'error' (the driver failed). */
  aborted: RunSummary['aborted'];
  timeline: TimelineEvent[];
  startedAt: string;
  endedAt: string;
  durationS: number;
  /** Cumulative HdrHistogram per trend (compressed base64, µs). */
  histograms: Record<string, string>;
  /**
   * Whether the run's final accounting happened (exact deliveries per stream, or the push ledger). A run
   * stopped before it was accounted has only live, approximate counts.
   */
  accounted: boolean;
  /** The push flood's exact ledger (push drivers only). */
  pushLedger?: PushLedger;
}
