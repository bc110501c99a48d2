/**
 * `--out csv=<file>`: k6's CSV output — its header and columns, one row per sample:
 *
 *   metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata
 *   messages_delivered,1735732801,200.000000,,,,,,,,,smoke,,,,,,run_id=…,
 *
 * As k6 writes it: `timestamp` in Unix seconds, `metric_value` with six decimals, the scenario in k6's
 * `scenario` column, every other tag in `extra_tags` and per-sample metadata in `metadata` (`k=v&k=v`),
 * fields quoted only when they hold a comma, a quote or a line break (RFC 4180, like Go's encoding/csv).
 * What a row is (one per metric per second; trends as `<trend>.<stat>` metrics): ./k6-samples.ts.
 * Gzipped when the name ends in `.gz`, like k6.
 */
import type { DeliverySample, TimeseriesPoint } from '../../common/summary-types.ts';
import { type K6Sample, K6Samples } from './k6-samples.ts';
import { displayPath, LineFile } from './line-file.ts';
import type { Output, RunEnd, RunStart } from './output.ts';

/** k6's default system tags, its column order (sorted), between metric_value and extra_tags. */
const TAG_COLUMNS = [
  'check',
  'error',
  'error_code',
  'expected_response',
  'group',
  'method',
  'name',
  'proto',
  'scenario',
  'service',
  'status',
  'subproto',
  'tls_version',
  'url',
] as const;
const TAG_COLUMN_SET: ReadonlySet<string> = new Set(TAG_COLUMNS);

export const CSV_HEADER = ['metric_name', 'timestamp', 'metric_value', ...TAG_COLUMNS, 'extra_tags', 'metadata'];

export class CsvOutput implements Output {
  private file: LineFile | undefined;
  private samples: K6Samples | undefined;

  /** `target`: an absolute path, checked by the plan (its folder exists). */
  constructor(private readonly target: string) {}

  description(): string {
    return `csv ${displayPath(this.target)}`;
  }

  async start(run: RunStart): Promise<void> {
    this.samples = new K6Samples(run.info);
    this.file = await LineFile.open(this.target, 'csv');
    this.file.append(`${CSV_HEADER.join(',')}\n`);
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
    for (const sample of samples) text += `${csvRow(sample).map(csvField).join(',')}\n`;
    this.file?.append(text);
  }
}

function csvRow({ metric, time, value, tags, metadata }: K6Sample): string[] {
  const extra = Object.entries(tags).filter(([tag]) => !TAG_COLUMN_SET.has(tag));
  return [
    metric.name,
    String(Math.floor(time / 1000)),
    value.toFixed(6),
    ...TAG_COLUMNS.map((tag) => tags[tag] ?? ''),
    pairs(extra),
    pairs(Object.entries(metadata ?? {})),
  ];
}

/** k6's `extra_tags` / `metadata` encoding: `key=value&key=value`. */
function pairs(entries: [string, string][]): string {
  return entries.map(([key, value]) => `${key}=${value}`).join('&');
}

/** Quoted only when it must be (RFC 4180; Go's encoding/csv also quotes a leading space). */
export function csvField(field: string): string {
  return /[",\r\n]|^[ \t]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}
