import type { MetricSummary, TrendValues } from '../../../common/summary-types.ts';
import type { ComparisonMatrix } from '../render-comparison-report.ts';

function trend(med: number, p99: number, count = 10_000): MetricSummary {
  const values: TrendValues = {
    count,
    avg: med * 1.2,
    min: med / 3,
    med,
    p90: p99 / 2,
    p95: p99 / 1.5,
    p99,
    p999: p99 * 2,
    max: p99 * 4,
  };
  return { type: 'trend', unit: 'ms', ...values };
}

const counter = (count: number): MetricSummary => ({ type: 'counter', count, rate: count / 60 });

/** 3 modes × 2 room sizes × 2 engines, with known numbers: `outbox` is slowest, `cdc` on redis loses 12. */
export function fixtureMatrix(): ComparisonMatrix {
  const modes = [
    ['api', 4, 1.5],
    ['outbox', 40, 1.5],
    ['cdc', 25, 1.5],
  ] as const;
  const cells: ComparisonMatrix['cells'] = [];
  for (const engine of ['redis', 'memory']) {
    for (const roomSize of [100, 1000]) {
      for (const [mode, delivery, creation] of modes) {
        const scale = (roomSize / 100) ** 0.5 * (engine === 'redis' ? 1.3 : 1);
        const expected = 60 * 100 * roomSize;
        cells.push({
          labels: { mode, roomSize, engine },
          runId: `20261124-0${cells.length}0000-abcd`,
          metrics: {
            delivery_latency: trend(delivery * scale, delivery * scale * 6),
            creation_duration: trend(creation, creation * 5),
            broadcast_duration: trend(mode === 'api' ? 2.5 * scale : 0.2, mode === 'api' ? 12 * scale : 0.9),
            messages_expected: counter(expected),
            messages_lost: counter(mode === 'cdc' && engine === 'redis' ? 12 : 0),
          },
          valid: true,
        });
      }
    }
  }
  return { title: 'Broadcast modes × room sizes × engines', cells };
}
