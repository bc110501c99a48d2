import type { Dashboard } from '@grafana/schema';
import { connections } from './src/connections.ts';
import { deliveryIntegrity } from './src/delivery-integrity.ts';
import { deliveryLatency } from './src/delivery-latency.ts';
import { modeComparison } from './src/mode-comparison.ts';
import { pushPipeline } from './src/push-pipeline.ts';
import { runOverview } from './src/run-overview.ts';

/** Every dashboard, by the file name it is generated to (dashboards/generated/<name>.json). */
export const DASHBOARDS: Record<string, () => Dashboard> = {
  'run-overview': runOverview,
  'delivery-latency': deliveryLatency,
  'delivery-integrity': deliveryIntegrity,
  connections,
  'mode-comparison': modeComparison,
  'push-pipeline': pushPipeline,
};
