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
import { K6FileOutput } from './k6-file-output.ts';
import type { K6Sample } from './k6-samples.ts';

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

export class CsvOutput extends K6FileOutput {
  constructor(target: string) {
    super('csv', target);
  }

  protected override header(): string {
    return `${CSV_HEADER.join(',')}\n`;
  }

  protected lines(samples: K6Sample[]): string {
    let text = '';
    for (const sample of samples) text += `${csvRow(sample).map(csvField).join(',')}\n`;
    return text;
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
