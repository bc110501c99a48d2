/**
 * What the gate's renderings (terminal, Markdown, JUnit) say about a measured value: a threshold's
 * aggregate with its label (`p(99)=10.5 ms`). The numbers themselves are
 * written by common/format.ts, so they read as in the HTML report.
 */
import { formatMetricValue } from '../../common/format.ts';
import { isMetricName, METRICS } from '../../common/metrics-catalogue.ts';
import type { ThresholdResult } from '../../common/summary-types.ts';
import { aggregationLabel, parseThresholdExpression } from '../thresholds.ts';

/** The measured side of a threshold line: `p(99)=10.5 ms`, `count=0`, `rate=20.5/s`, `avg: no data`. */
export function formatThresholdValue(result: ThresholdResult): string {
  const kind = isMetricName(result.metric) ? METRICS[result.metric].kind : undefined;
  const parsed = parseThresholdExpression(result.expression, kind);
  const aggregate = parsed.ok ? parsed.value.aggregation.name : 'value';
  const label = parsed.ok ? aggregationLabel(parsed.value.aggregation) : aggregate;
  // A counter that never counted is evaluated as 0 (thresholds.ts); anything else without data failed.
  if (result.value === null) return kind === 'counter' ? `${label}=0 (no data)` : `${label}: no data`;
  return `${label}=${formatMetricValue(result.metric, aggregate, result.value)}`;
}
