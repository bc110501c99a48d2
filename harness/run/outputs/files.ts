/**
 * The run's files under `results/<run-id>/` — always written, first: run.json at the start, the per-second
 * timeseries, timeline and samples as they come, and at the end histograms, summary.json, summary.md and
 * junit.xml. Every other output is a view of these.
 */
import path from 'node:path';
import type { DeliverySample, TimelineEvent, TimeseriesPoint } from '../../common/summary-types.ts';
import { renderJunit, renderMarkdownSummary } from '../../gate/index.ts';
import { RunWriter } from '../../results/files/index.ts';
import type { Output, RunEnd, RunStart } from './output.ts';

export class FilesOutput implements Output {
  private writer: RunWriter | undefined;

  constructor(private readonly dir: string) {}

  description(): string {
    return `files ${this.dir}`;
  }

  async start(run: RunStart): Promise<void> {
    this.writer = await RunWriter.open({ runId: path.basename(this.dir), root: path.dirname(this.dir) });
    await this.writer.writeRunInfo(run.info);
  }

  addPoint(point: TimeseriesPoint): void {
    this.writer?.appendPoint(point);
  }

  addEvent(event: TimelineEvent): void {
    this.writer?.appendEvent(event);
  }

  addSamples(rows: DeliverySample[]): void {
    for (const row of rows) this.writer?.appendSample(row);
  }

  async stop(end: RunEnd | undefined): Promise<void> {
    const writer = this.writer;
    if (!writer) return;
    try {
      if (!end) return;
      await writer.writeHistograms(end.histograms);
      await writer.writeSummary(end.summary);
      await writer.writeText(
        'summary.md',
        renderMarkdownSummary(end.summary, { reportPath: end.reportPath, verdict: end.verdict }),
      );
      await writer.writeText('junit.xml', renderJunit(end.summary));
      await writer.flush();
    } finally {
      await writer.close();
    }
  }
}
