/**
 * Writes one run's files under `results/<run-id>/` while the run goes on: `timeseries.ndjson` and
 * `timeline.ndjson` are appended line by line as points and events arrive (the run is never held in
 * memory), `run.json`, `summary.json` and `histograms/<metric>.hdr` are written whole and atomically
 * (temp file + rename: a crash never leaves half a summary). Everything passes through `redact()`.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { redact } from '../../common/log.ts';
import { resultsRoot } from '../../common/run-id.ts';
import type { RunInfo, RunSummary, TimelineEvent, TimeseriesPoint } from '../../common/summary-types.ts';
import { histogramFileName, RUN_FILES, redactedJson } from './run-files.ts';

export interface RunWriterOptions {
  runId: string;
  /** Parent of the run directory; default `resultsRoot()` ($CENTRIFUGO_BENCH_RESULTS or ./results). */
  root?: string;
}

class LineFile {
  private readonly stream: WriteStream;
  private failure: Error | null = null;

  constructor(file: string) {
    this.stream = createWriteStream(file, { flags: 'w', encoding: 'utf8' });
    this.stream.on('error', (error) => {
      this.failure ??= error;
    });
  }

  append(line: string): void {
    if (this.failure) throw this.failure;
    // Backpressure is ignored on purpose: one line per second cannot outrun a disk, and blocking the
    // caller (the engine's collector) would distort the measurement more than a few buffered KB.
    this.stream.write(`${line}\n`);
  }

  /** Resolves once everything appended so far has reached the OS. */
  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.stream.write('', (error) => (error ? reject(error) : resolve()));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.stream.closed) {
        if (this.failure) reject(this.failure);
        else resolve();
        return;
      }
      this.stream.end(() => (this.failure ? reject(this.failure) : resolve()));
    });
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, 'utf8');
  await rename(temporary, file);
}

export class RunWriter {
  readonly runId: string;
  readonly dir: string;
  private readonly timeseries: LineFile;
  private readonly timeline: LineFile;
  /** Created on the first sampled delivery: most runs have none. */
  private samples: LineFile | null = null;
  private closed = false;

  private constructor(runId: string, dir: string) {
    this.runId = runId;
    this.dir = dir;
    this.timeseries = new LineFile(path.join(dir, RUN_FILES.timeseries));
    this.timeline = new LineFile(path.join(dir, RUN_FILES.timeline));
  }

  /** Creates `<root>/<run-id>/` (it may already hold the stack's `logs/`) and the two line files. */
  static async open(options: RunWriterOptions): Promise<RunWriter> {
    if (!/^[A-Za-z0-9._-]+$/.test(options.runId) || options.runId.startsWith('.')) {
      throw new Error(`not a run id: ${JSON.stringify(options.runId)}`);
    }
    const dir = path.join(options.root ?? resultsRoot(), options.runId);
    await mkdir(dir, { recursive: true });
    return new RunWriter(options.runId, dir);
  }

  path(name: string): string {
    return path.join(this.dir, name);
  }

  async writeRunInfo(info: RunInfo): Promise<void> {
    await writeAtomically(this.path(RUN_FILES.runInfo), `${redactedJson(info, 2)}\n`);
  }

  /** One line of timeseries.ndjson; call once per second as points arrive. */
  appendPoint(point: TimeseriesPoint): void {
    this.assertOpen();
    this.timeseries.append(redactedJson(point));
  }

  /** One line of timeline.ndjson (phases, faults, notes) as it happens. */
  appendEvent(event: TimelineEvent): void {
    this.assertOpen();
    this.timeline.append(redactedJson(event));
  }

  /**
   * One line of samples.ndjson: a sampled per-message delivery (`DeliverySample` in summary-types.ts),
   * only when the scenario asks for raw samples. The file appears with the first sample.
   */
  appendSample(sample: object): void {
    this.assertOpen();
    this.samples ??= new LineFile(this.path(RUN_FILES.samples));
    this.samples.append(redactedJson(sample));
  }

  /** `histograms/<metric>.hdr`: the whole run's merged HDR histograms (compressed base64, µs). */
  async writeHistograms(encoded: Record<string, string>): Promise<void> {
    const dir = this.path(RUN_FILES.histograms);
    await mkdir(dir, { recursive: true });
    for (const [metric, text] of Object.entries(encoded)) {
      await writeAtomically(path.join(dir, histogramFileName(metric)), `${redact(text)}\n`);
    }
  }

  async writeSummary(summary: RunSummary): Promise<void> {
    await writeAtomically(this.path(RUN_FILES.summary), `${redactedJson(summary, 2)}\n`);
  }

  /** Any other artifact (summary.md, junit.xml, report.html); returns its path. */
  async writeText(name: string, text: string): Promise<string> {
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) {
      throw new Error(`not a file name inside the run directory: ${JSON.stringify(name)}`);
    }
    const file = this.path(name);
    await writeAtomically(file, redact(text));
    return file;
  }

  /** Waits until every line appended so far is written (e.g. before a ClickHouse loader reads them). */
  async flush(): Promise<void> {
    await Promise.all([this.timeseries.flush(), this.timeline.flush(), this.samples?.flush()]);
  }

  /** Closes the line files. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.timeseries.close(), this.timeline.close(), this.samples?.close()]);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`run writer for ${this.runId} is closed`);
  }
}
