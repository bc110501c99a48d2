/**
 * What k6's JSON and CSV outputs have in common: a file opened when the run starts (gzipped on `.gz`),
 * each second's points and sampled deliveries turned into k6 samples (./k6-samples.ts) and appended as
 * lines without ever blocking the run, and the file closed when the run stops, finished or not — k6's
 * formats carry no verdict. A format says only how samples become lines.
 */
import type { DeliverySample, TimeseriesPoint } from '../../common/summary-types.ts';
import { type K6Sample, K6Samples } from './k6-samples.ts';
import { displayPath, LineFile } from './line-file.ts';
import type { Output, RunEnd, RunStart } from './output.ts';

export abstract class K6FileOutput implements Output {
  private file: LineFile | undefined;
  private samples: K6Samples | undefined;

  /** `target`: an absolute path, checked by the plan (its folder exists). */
  constructor(
    private readonly format: 'json' | 'csv',
    private readonly target: string,
  ) {}

  /** The lines for these samples, each ending in a newline. */
  protected abstract lines(samples: K6Sample[]): string;

  /** What the file starts with (CSV's header). */
  protected header(): string {
    return '';
  }

  description(): string {
    return `${this.format} ${displayPath(this.target)}`;
  }

  async start(run: RunStart): Promise<void> {
    this.samples = new K6Samples(run.info);
    this.file = await LineFile.open(this.target, this.format);
    const header = this.header();
    if (header) this.file.append(header);
  }

  addPoint(point: TimeseriesPoint): void {
    if (this.samples) this.file?.append(this.lines(this.samples.fromPoint(point)));
  }

  addSamples(rows: DeliverySample[]): void {
    if (this.samples) this.file?.append(this.lines(this.samples.fromDeliveries(rows)));
  }

  async stop(_end: RunEnd | undefined): Promise<void> {
    await this.file?.close();
  }
}
