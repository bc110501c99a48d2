/**
 * `--out json=<file>`: k6's JSON output — one JSON object per line, a metric's `Metric` line before its
 * first `Point`:
 *
 *   {"type":"Metric","data":{"name":"messages_delivered","type":"counter","contains":"default","thresholds":[],"submetrics":null},"metric":"messages_delivered"}
 *   {"type":"Point","data":{"time":"2025-01-01T12:00:01.000Z","value":200,"tags":{"scenario":"smoke","run_id":"…"}},"metric":"messages_delivered"}
 *
 * What a point is (one per metric per second; trends as `<trend>.<stat>` metrics): ./k6-samples.ts.
 * Gzipped when the name ends in `.gz`, like k6; `tail -f` works on the plain file while the run goes on.
 */
import type { DeliverySample, TimeseriesPoint } from '../../common/summary-types.ts';
import { type K6Sample, K6Samples } from './k6-samples.ts';
import { displayPath, LineFile } from './line-file.ts';
import type { Output, RunEnd, RunStart } from './output.ts';

export class JsonOutput implements Output {
  private file: LineFile | undefined;
  private samples: K6Samples | undefined;
  private readonly declared = new Set<string>();

  /** `target`: an absolute path, checked by the plan (its folder exists). */
  constructor(private readonly target: string) {}

  description(): string {
    return `json ${displayPath(this.target)}`;
  }

  async start(run: RunStart): Promise<void> {
    this.samples = new K6Samples(run.info);
    this.file = await LineFile.open(this.target, 'json');
  }

  addPoint(point: TimeseriesPoint): void {
    if (this.samples) this.write(this.samples.fromPoint(point));
  }

  addSamples(rows: DeliverySample[]): void {
    if (this.samples) this.write(this.samples.fromDeliveries(rows));
  }

  /** Finished or not, the file holds every second written and is closed: k6's formats carry no verdict. */
  async stop(_end: RunEnd | undefined): Promise<void> {
    await this.file?.close();
  }

  private write(samples: K6Sample[]): void {
    let text = '';
    for (const { metric, time, value, tags, metadata } of samples) {
      if (!this.declared.has(metric.name)) {
        this.declared.add(metric.name);
        const data = {
          name: metric.name,
          type: metric.type,
          contains: metric.contains,
          thresholds: metric.thresholds,
          submetrics: null,
        };
        text += `${JSON.stringify({ type: 'Metric', data, metric: metric.name })}\n`;
      }
      const data = { time: new Date(time).toISOString(), value, tags, ...(metadata ? { metadata } : {}) };
      text += `${JSON.stringify({ type: 'Point', data, metric: metric.name })}\n`;
    }
    this.file?.append(text);
  }
}
