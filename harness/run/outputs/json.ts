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
import { K6FileOutput } from './k6-file-output.ts';
import type { K6Sample } from './k6-samples.ts';

export class JsonOutput extends K6FileOutput {
  private readonly declared = new Set<string>();

  constructor(target: string) {
    super('json', target);
  }

  protected lines(samples: K6Sample[]): string {
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
    return text;
  }
}
