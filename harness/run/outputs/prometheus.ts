/**
 * The run pushed into Prometheus while it happens, through Prometheus's remote-write receiver (as k6's
 * `experimental-prometheus-rw` output does; Prometheus ≥ 2.33 with `--web.enable-remote-write-receiver`,
 * Debian bookworm's 2.42 included). Remote write rather than a `/metrics` endpoint to scrape: the samples
 * carry the run's own per-second timestamps instead of Prometheus's scrape pace, and the user's Prometheus
 * needs no scrape job pointed at the generator. The wire format (protobuf + snappy) comes from
 * `prometheus-remote-write` (pure JavaScript: protobufjs + snappyjs), sent with Node's fetch.
 *
 * What is written, per second of the run, labelled run_id and scenario:
 * - trends: `centrifugo_bench_<metric>_ms{stat="p50|p90|p95|p99|p999|min|max|avg|count"}` — that second's
 *   distribution (count is that second's count);
 * - counters: `centrifugo_bench_<metric>_total` — running totals, so `rate()` and `increase()` work;
 * - gauges: `centrifugo_bench_<metric>`;
 * - the load generator: `centrifugo_bench_generator_cpu_cores`, `…_event_loop_delay_p99_ms`, `…_rss_bytes`.
 * Events and per-message samples are not Prometheus data and are not sent.
 *
 * It never blocks nor fails the run: points become series in a bounded queue that one request at a time
 * drains; while Prometheus is down or slow the oldest seconds are dropped beyond the bound, with one
 * warning; `stop` flushes what is left within a deadline. The run's files stay the record.
 */
import { pushTimeseries } from 'prometheus-remote-write';
import { log } from '../../common/log.ts';
import type { TimeseriesPoint, TrendValues } from '../../common/summary-types.ts';
import type { Output, RunEnd, RunStart } from './output.ts';

export const PROMETHEUS_RW_URL_ENV = 'CENTRIFUGO_BENCH_PROMETHEUS_RW_URL';
const DEFAULT_REMOTE_WRITE_URL = 'http://127.0.0.1:9090/api/v1/write';

/** Where `--out prometheus` without a URL sends: $CENTRIFUGO_BENCH_PROMETHEUS_RW_URL, else a local Prometheus. */
export function defaultPrometheusRemoteWriteUrl(): { url: string; from: string } {
  const fromEnv = process.env[PROMETHEUS_RW_URL_ENV];
  return fromEnv
    ? { url: fromEnv, from: `$${PROMETHEUS_RW_URL_ENV}` }
    : { url: DEFAULT_REMOTE_WRITE_URL, from: 'default' };
}

const PREFIX = 'centrifugo_bench_';
/** A catching-up request stays small; the rest follows in the next one. */
const MAX_SECONDS_PER_REQUEST = 120;
/** The trend aggregates written, as the `stat` label names them. */
const TREND_STATS: Record<string, keyof TrendValues> = {
  p50: 'med',
  p90: 'p90',
  p95: 'p95',
  p99: 'p99',
  p999: 'p999',
  min: 'min',
  max: 'max',
  avg: 'avg',
  count: 'count',
};

interface Series {
  labels: { __name__: string; [label: string]: string };
  samples: { value: number; timestamp: number }[];
}

export interface PrometheusOutputOptions {
  /** Seconds held while Prometheus is down or slow; beyond it the oldest are dropped. */
  maxPendingSeconds?: number;
  /** Per-request timeout: a stuck server costs the sender this much, never the run. */
  requestTimeoutMs?: number;
  /** How long `stop` keeps sending what is left. */
  closeTimeoutMs?: number;
}

/** A metric name Prometheus accepts: [a-zA-Z_:][a-zA-Z0-9_:]*. */
function metricName(...parts: string[]): string {
  return PREFIX + parts.join('_').replace(/[^a-zA-Z0-9_]/g, '_');
}

export class PrometheusOutput implements Output {
  private runLabels: Record<string, string> = {};
  /** Running totals of the counters, which points carry as per-second increments. */
  private readonly totals = new Map<string, number>();
  /** One entry per second not yet sent, oldest first. */
  private readonly pending: Series[][] = [];
  private sending: Promise<void> | null = null;
  private nextAttemptAt = 0;
  private backoffMs = 500;
  private secondsSent = 0;
  private secondsDropped = 0;
  private lastError: string | undefined;
  private warned = false;
  private readonly maxPendingSeconds: number;
  private readonly requestTimeoutMs: number;
  private readonly closeTimeoutMs: number;

  constructor(
    private readonly url: string,
    options: PrometheusOutputOptions = {},
  ) {
    this.maxPendingSeconds = options.maxPendingSeconds ?? 600;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
  }

  /** Seconds queued, sent and dropped so far (for tests and the closing line). */
  get stats(): { pendingSeconds: number; secondsSent: number; secondsDropped: number } {
    return { pendingSeconds: this.pending.length, secondsSent: this.secondsSent, secondsDropped: this.secondsDropped };
  }

  description(): string {
    const { origin, pathname } = new URL(this.url);
    return `prometheus remote write ${origin}${pathname}`;
  }

  async start(run: RunStart): Promise<void> {
    this.runLabels = { run_id: run.info.runId, scenario: run.info.scenario.name };
  }

  addPoint(point: TimeseriesPoint): void {
    try {
      this.pending.push(this.seriesOf(point));
      if (this.pending.length > this.maxPendingSeconds) {
        // The newest seconds matter most to a live dashboard; counters stay right (they are running totals).
        this.pending.shift();
        this.secondsDropped++;
        this.warnOnce(`Prometheus is behind (${this.pending.length} seconds queued): dropping the oldest seconds`);
      }
      this.kick();
    } catch (error) {
      this.lastError = (error as Error).message;
      this.warnOnce(`Prometheus output: ${this.lastError}`);
    }
  }

  async stop(_end: RunEnd | undefined): Promise<void> {
    const deadline = Date.now() + this.closeTimeoutMs;
    let fruitless = 0;
    while (this.pending.length > 0 && Date.now() < deadline && fruitless < 3) {
      if (this.sending) await this.sending;
      const before = this.pending.length;
      this.nextAttemptAt = Math.min(this.nextAttemptAt, Date.now() + 1_000);
      const wait = Math.min(this.nextAttemptAt - Date.now(), deadline - Date.now());
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.kick();
      if (this.sending) await this.sending;
      fruitless = this.pending.length < before ? 0 : fruitless + 1;
    }
    if (this.sending) await this.sending;
    // What is still queued now will never be sent.
    this.secondsDropped += this.pending.length;
    this.pending.length = 0;
    const unsent = this.secondsDropped;
    if (unsent === 0) {
      log.info('results', `Prometheus: ${this.secondsSent} second(s) written to ${this.description()}`);
    } else {
      log.warn(
        'results',
        `Prometheus has an incomplete copy of the run: ${unsent} second(s) not written` +
          `${this.lastError ? ` (${this.lastError})` : ''}; the run's files are complete`,
      );
    }
  }

  private seriesOf(point: TimeseriesPoint): Series[] {
    const timestamp = Date.parse(point.ts);
    const series: Series[] = [];
    const add = (name: string, value: number, extra: Record<string, string> = {}) => {
      if (!Number.isFinite(value)) return;
      // Sorted label names: what the remote-write protocol asks of a sender.
      const labels = Object.fromEntries(
        Object.entries({ __name__: name, ...this.runLabels, ...extra }).sort(([a], [b]) => (a < b ? -1 : 1)),
      ) as Series['labels'];
      series.push({ labels, samples: [{ value, timestamp }] });
    };
    for (const [metric, trend] of Object.entries(point.trends)) {
      for (const [stat, field] of Object.entries(TREND_STATS)) add(metricName(metric, 'ms'), trend[field], { stat });
    }
    for (const [metric, increment] of Object.entries(point.counters)) {
      this.totals.set(metric, (this.totals.get(metric) ?? 0) + increment);
    }
    // Every counter seen so far, every second: a continuous series, whatever the second's increments.
    for (const [metric, total] of this.totals) add(metricName(metric, 'total'), total);
    for (const [metric, value] of Object.entries(point.gauges)) add(metricName(metric), value);
    add(metricName('generator_cpu_cores'), point.generator.cpu);
    add(metricName('generator_event_loop_delay_p99_ms'), point.generator.eventLoopDelayP99Ms);
    add(metricName('generator_rss_bytes'), point.generator.rssBytes);
    return series;
  }

  /** Starts one send of everything pending, unless one is under way or Prometheus is in its backoff. */
  private kick(): void {
    if (this.sending || this.pending.length === 0 || Date.now() < this.nextAttemptAt) return;
    this.sending = this.sendPending().finally(() => {
      this.sending = null;
    });
  }

  private async sendPending(): Promise<void> {
    const seconds = Math.min(this.pending.length, MAX_SECONDS_PER_REQUEST);
    // One series per label set, its samples in time order (what Prometheus appends without complaint).
    const merged = new Map<string, Series>();
    for (const second of this.pending.slice(0, seconds)) {
      for (const series of second) {
        const key = JSON.stringify(series.labels);
        const existing = merged.get(key);
        if (existing) existing.samples.push(...series.samples);
        else merged.set(key, { labels: series.labels, samples: [...series.samples] });
      }
    }
    let outcome: 'sent' | 'retry' | 'rejected';
    try {
      const result = await pushTimeseries([...merged.values()], {
        url: this.url,
        headers: { 'X-Prometheus-Remote-Write-Version': '0.1.0' },
        fetch: (url, init) =>
          fetch(url, {
            method: init?.method,
            headers: init?.headers,
            // SnappyJS hands back a Uint8Array (typed as ArrayBufferLike): a view of the same bytes.
            body: init?.body ? new Uint8Array(init.body) : undefined,
            signal: AbortSignal.timeout(this.requestTimeoutMs),
          }),
      });
      if (result.status >= 200 && result.status < 300) outcome = 'sent';
      else {
        this.lastError = `HTTP ${result.status} ${result.errorMessage?.trim() ?? result.statusText}`;
        // 4xx other than 429: Prometheus will never take these samples (out of order, too old); retrying cannot help.
        outcome = result.status >= 400 && result.status < 500 && result.status !== 429 ? 'rejected' : 'retry';
      }
    } catch (error) {
      this.lastError = (error as Error).message;
      outcome = 'retry';
    }
    if (outcome === 'retry') {
      this.warnOnce(
        `Prometheus remote write to ${this.description()} failed (${this.lastError}); retrying with backoff — the run continues, its files are complete`,
      );
      this.nextAttemptAt = Date.now() + this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
      return;
    }
    this.pending.splice(0, seconds);
    this.backoffMs = 500;
    if (outcome === 'sent') this.secondsSent += seconds;
    else {
      this.secondsDropped += seconds;
      this.warnOnce(`Prometheus rejected ${seconds} second(s) of samples (${this.lastError}); they are dropped`);
    }
  }

  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    log.warn('results', message);
  }
}
