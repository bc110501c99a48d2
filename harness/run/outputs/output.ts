/**
 * The output contract, as k6 keeps it: an output is told where the run is written and what it is, is
 * handed each second's points, events, sampled deliveries and progress as they happen — without ever
 * blocking the run —, and is stopped with the run's verdict. Files, ClickHouse, the terminal line and the
 * HTML report are outputs (registry: ./index.ts); a new one is a file and a line there.
 */
import type {
  DeliverySample,
  RunInfo,
  RunSummary,
  TimelineEvent,
  TimeseriesPoint,
} from '../../common/summary-types.ts';
import type { DriverProgress } from '../../engine/index.ts';
import type { Verdict } from '../../gate/index.ts';

export interface RunStart {
  /** `results/<run-id>/`: the run's files (the record every other output is a view of). */
  dir: string;
  info: RunInfo;
}

export interface RunEnd {
  summary: RunSummary;
  /** The verdict the run's process returns as its exit code. */
  verdict: Verdict;
  /** Whole-run HDR histograms by metric (compressed base64, µs). */
  histograms: Record<string, string>;
  /** Where report.html will be, when the report output is selected (summary.md links it). */
  reportPath?: string;
}

export interface Output {
  /** For the plan lines: what this output writes, and where. */
  description(): string;
  start(run: RunStart): Promise<void>;
  addPoint?(point: TimeseriesPoint): void;
  addEvent?(event: TimelineEvent): void;
  addSamples?(rows: DeliverySample[]): void;
  addProgress?(progress: DriverProgress): void;
  /**
   * The run is over. `end` is undefined when it could not finish (a failure, a crash before the
   * summary): the output then only releases what it holds and marks what it wrote as incomplete.
   * Outputs stop in registry order, so the files are complete before anything reads them back.
   */
  stop(end: RunEnd | undefined): Promise<void>;
}
