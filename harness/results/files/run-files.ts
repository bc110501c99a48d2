/**
 * Names of the files in `results/<run-id>/`, and the one way to serialise what goes into them: every byte
 * passes through `redact()`, so a registered secret never lands in a run's files.
 */
import { redact } from '../../common/log.ts';

export const RUN_FILES = {
  runInfo: 'run.json',
  summary: 'summary.json',
  timeseries: 'timeseries.ndjson',
  timeline: 'timeline.ndjson',
  samples: 'samples.ndjson',
  histograms: 'histograms',
  summaryMarkdown: 'summary.md',
  junit: 'junit.xml',
  report: 'report.html',
  logs: 'logs',
} as const;

/** JSON with every string value redacted (before escaping), then the text once more (keys). */
export function redactedJson(value: unknown, indent?: number): string {
  return redact(JSON.stringify(value, (_key, item) => (typeof item === 'string' ? redact(item) : item), indent));
}

/** File name of a metric's histogram; metric names are snake_case, anything else is refused. */
export function histogramFileName(metric: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(metric))
    throw new Error(`not a metric name for a histogram file: ${JSON.stringify(metric)}`);
  return `${metric}.hdr`;
}
