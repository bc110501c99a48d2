import { setTimeout as sleep } from 'node:timers/promises';
import { log } from '../../common/log.ts';
import type {
  DeliverySample,
  RunInfo,
  RunSummary,
  TimelineEvent,
  TimeseriesPoint,
} from '../../common/summary-types.ts';
import { connectResults, type ResultsDb, type ResultsTarget } from './connection.ts';
import {
  endedStatus,
  eventRow,
  isoToUs,
  ledgerRows,
  pointRows,
  type Row,
  runRowFor,
  runRowTable,
  sampleRow,
  thresholdRows,
} from './rows.ts';
import type { TableName } from './schema.ts';

export interface LiveWriterOptions {
  /** Shard of a distributed run (DESIGN §6); '' on one machine. `results load` must use the same. */
  shard?: string;
  /** How often buffered rows go out: every second, so Grafana shows the run as it happens. */
  flushIntervalMs?: number;
  /** Rows per INSERT. */
  maxBatchRows?: number;
  /** Rows held while ClickHouse is slow or down; beyond it rows are dropped (files still have them). */
  maxBufferedRows?: number;
  /** Per-request timeout: a stuck server costs the writer this much, never the run. */
  requestTimeoutMs?: number;
  /** The most `close()` waits for the last rows to go out. */
  closeTimeoutMs?: number;
}

export interface LiveWriterResult {
  /**
   * Every row reached ClickHouse exactly once. When false (rows dropped, left unsent, or an INSERT
   * failed and may have half-applied), load the run's files with `loadRunDir` / `results load`,
   * which replaces whatever the live writer managed to write.
   */
  complete: boolean;
  rowsWritten: number;
  /** Rows that never reached ClickHouse: dropped from a full buffer or still unsent at close. */
  rowsDropped: number;
  failedInserts: number;
  lastError: string | null;
}

export interface LiveWriterStats {
  connected: boolean;
  buffered: number;
  written: number;
  dropped: number;
}

/**
 * Streams a run into ClickHouse while it happens. Files first: the run's files are the record, this
 * is a view of them. Nothing here blocks or fails the run — `point()`, `event()` and `sample()` only
 * append to a bounded buffer; a timer sends it; when ClickHouse is down or slow the writer retries
 * with backoff, drops rows beyond the bound and says, once, that the run must be backfilled.
 */
export interface LiveWriter {
  point(point: TimeseriesPoint): void;
  event(event: TimelineEvent): void;
  sample(sample: DeliverySample): void;
  readonly stats: LiveWriterStats;
  /** Writes the final `runs` row (and thresholds, push ledger) and flushes; never throws. */
  close(summary?: RunSummary | null): Promise<LiveWriterResult>;
}

const WARN_EVERY_MS = 10_000;

class ClickHouseLiveWriter implements LiveWriter {
  private readonly buffers = new Map<TableName, Row[]>();
  private buffered = 0;
  private written = 0;
  private dropped = 0;
  private failedInserts = 0;
  private lastError: string | null = null;
  private db: ResultsDb | null = null;
  private nextAttemptAt = 0;
  private backoffMs = 500;
  private flushing: Promise<void> | null = null;
  private closed = false;
  private lastWarnAt = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly startedUs: number;
  private readonly shard: string;
  private readonly maxBatchRows: number;
  private readonly maxBufferedRows: number;

  constructor(
    private readonly target: ResultsTarget,
    private readonly info: RunInfo,
    private readonly options: LiveWriterOptions,
  ) {
    this.startedUs = isoToUs(info.startedAt);
    this.shard = options.shard ?? '';
    this.maxBatchRows = options.maxBatchRows ?? 20_000;
    this.maxBufferedRows = options.maxBufferedRows ?? 200_000;
    this.enqueue(runRowTable(this.shard), [runRowFor(this.shard, info, null, { status: 'running', source: 'live' })]);
    this.timer = setInterval(() => this.kick(), options.flushIntervalMs ?? 1000);
    this.timer.unref();
    this.kick();
  }

  get stats(): LiveWriterStats {
    return { connected: this.db !== null, buffered: this.buffered, written: this.written, dropped: this.dropped };
  }

  point(point: TimeseriesPoint): void {
    this.guard(() => {
      const rows = pointRows(this.info.runId, this.shard, point, this.startedUs, (metric, error) =>
        this.warn(`second ${point.t}: histogram of ${metric} does not decode (${(error as Error).message})`, true),
      );
      this.enqueue('trend_seconds', rows.trend_seconds);
      this.enqueue('value_seconds', rows.value_seconds);
      this.enqueue('generator_seconds', rows.generator_seconds);
    });
  }

  event(event: TimelineEvent): void {
    this.guard(() => this.enqueue('events', [eventRow(this.info.runId, this.shard, this.startedUs, event)]));
  }

  sample(sample: DeliverySample): void {
    this.guard(() => this.enqueue('deliveries', [sampleRow(this.shard, { ...sample, run_id: this.info.runId })]));
  }

  async close(summary: RunSummary | null = null): Promise<LiveWriterResult> {
    if (this.closed) return this.result();
    try {
      const status = endedStatus(summary);
      // The closing rows are few and say how the run ended: they bypass the bound.
      const closing: [TableName, Row[]][] = [
        [runRowTable(this.shard), [runRowFor(this.shard, this.info, summary, { status, source: 'live' })]],
      ];
      if (summary) {
        // A shard's thresholds judge a part of the run; the merged run's are the run's (its row has the shard's).
        if (this.shard === '') closing.push(['thresholds', thresholdRows(this.info.runId, summary.thresholds)]);
        if (summary.push_ledger) {
          closing.push(['push_ledger', ledgerRows(this.info.runId, this.shard, summary.push_ledger)]);
        }
      }
      for (const [table, rows] of closing) this.enqueue(table, rows, true);
      this.closed = true;
      clearInterval(this.timer);
      await this.drain(Date.now() + (this.options.closeTimeoutMs ?? 15_000));
    } catch (error) {
      this.lastError = (error as Error).message;
    } finally {
      this.closed = true;
      clearInterval(this.timer);
      if (this.buffered > 0) {
        this.dropped += this.buffered;
        this.buffered = 0;
        this.buffers.clear();
      }
      await this.db?.close().catch(() => {});
      this.db = null;
    }
    const result = this.result();
    if (!result.complete) {
      log.warn(
        'results',
        `ClickHouse has an incomplete copy of run ${this.info.runId} (${result.rowsDropped} row(s) not written, ` +
          `${result.failedInserts} failed insert(s)); the run's files are complete — backfill with ` +
          `\`centrifugo-bench results load ${this.info.runId}\``,
      );
    }
    return result;
  }

  private result(): LiveWriterResult {
    return {
      complete: this.dropped === 0 && this.failedInserts === 0 && this.buffered === 0,
      rowsWritten: this.written,
      rowsDropped: this.dropped + this.buffered,
      failedInserts: this.failedInserts,
      lastError: this.lastError,
    };
  }

  /** The run must never see an exception from its results view. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.lastError = (error as Error).message;
      this.failedInserts++;
      this.warn(`live writer: ${(error as Error).message}`, true);
    }
  }

  private enqueue(table: TableName, rows: Row[], force = false): void {
    if (rows.length === 0) return;
    if (this.closed) {
      this.dropped += rows.length;
      return;
    }
    if (!force && this.buffered + rows.length > this.maxBufferedRows) {
      this.dropped += rows.length;
      this.warn(
        `ClickHouse is behind: live buffer full (${this.buffered} rows), dropping rows — the run's files keep them`,
      );
      return;
    }
    let buffer = this.buffers.get(table);
    if (!buffer) {
      buffer = [];
      this.buffers.set(table, buffer);
    }
    for (const row of rows) buffer.push(row);
    this.buffered += rows.length;
    // Flush by size as well as by time: a full batch goes out without waiting for the next tick.
    if (buffer.length >= this.maxBatchRows) this.kick();
  }

  private warn(message: string, always = false): void {
    const now = Date.now();
    if (!always && now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    log.warn('results', message);
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flushOnce()
      .catch((error) => {
        this.lastError = (error as Error).message;
      })
      .finally(() => {
        this.flushing = null;
      });
  }

  private failed(what: string, error: unknown): void {
    this.lastError = `${what}: ${(error as Error).message}`;
    this.nextAttemptAt = Date.now() + this.backoffMs;
    this.warn(
      `ClickHouse ${what} failed (${(error as Error).message}); retrying in ${(this.backoffMs / 1000).toFixed(1)} s, ` +
        `${this.buffered} row(s) waiting — the run continues, its files are complete`,
    );
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
  }

  private async ensureDb(): Promise<boolean> {
    if (this.db) return true;
    if (Date.now() < this.nextAttemptAt) return false;
    try {
      this.db = await connectResults(this.target, { requestTimeoutMs: this.options.requestTimeoutMs ?? 5_000 });
      this.backoffMs = 500;
      return true;
    } catch (error) {
      this.failed('connect', error);
      return false;
    }
  }

  private async flushOnce(): Promise<void> {
    if (this.buffered === 0 || !(await this.ensureDb())) return;
    const db = this.db!;
    for (const [table, rows] of this.buffers) {
      while (rows.length > 0) {
        if (Date.now() < this.nextAttemptAt) return;
        const batch = rows.slice(0, this.maxBatchRows);
        try {
          await db.client.insert({ table: db.table(table), values: batch, format: 'JSONEachRow' });
        } catch (error) {
          // The INSERT may have been applied before the error (a timeout): a retry could duplicate
          // rows, so the run is marked for backfill, which replaces them.
          this.failedInserts++;
          this.failed(`insert into ${table}`, error);
          return;
        }
        rows.splice(0, batch.length);
        this.buffered -= batch.length;
        this.written += batch.length;
        this.backoffMs = 500;
      }
    }
  }

  /** Sends what is left until it is gone, the deadline passes, or ClickHouse stays unreachable. */
  private async drain(deadline: number): Promise<void> {
    let fruitless = 0;
    while (this.buffered > 0 && Date.now() < deadline && fruitless < 3) {
      if (this.flushing) await this.flushing;
      const before = this.buffered;
      this.nextAttemptAt = Math.min(this.nextAttemptAt, Date.now() + 1_000);
      const wait = this.nextAttemptAt - Date.now();
      if (wait > 0) await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
      await this.flushOnce().catch((error) => {
        this.lastError = (error as Error).message;
      });
      fruitless = this.buffered < before ? 0 : fruitless + 1;
    }
  }
}

/**
 * Starts streaming a run to ClickHouse (a URL, or a client such as chDB's). Returns at once; the
 * connection and schema migration happen in the background.
 */
export function createLiveWriter(target: ResultsTarget, runInfo: RunInfo, options: LiveWriterOptions = {}): LiveWriter {
  return new ClickHouseLiveWriter(target, runInfo, options);
}
