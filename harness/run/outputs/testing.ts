/** What the outputs' tests share: a run's description and its per-second points and sampled deliveries. */
import type { DeliverySample, RunInfo, TimeseriesPoint } from '../../common/summary-types.ts';

export function runInfo(runId: string, name = 'k6-files', config: unknown = {}): RunInfo {
  return {
    schemaVersion: 1,
    runId,
    scenario: { name, file: `scenarios/${name}.ts`, config },
    startedAt: '2026-11-23T12:00:00.000Z',
    git: { commit: null, dirty: null },
    host: { hostname: 'h', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'cpu', memoryBytes: 1 },
    node: process.version,
    harnessVersion: '0.1.0',
    stack: { provider: 'local', engine: 'memory', nodes: 1 },
    versions: { centrifugo: '6.9.1' },
  };
}

/** Second `t` of a run that started at 2026-11-23T12:00:00Z: `delivered` deliveries, 20 subscribers. */
export function point(t: number, delivered: number): TimeseriesPoint {
  const p99 = 10 + t;
  return {
    t,
    ts: new Date(Date.UTC(2026, 10, 23, 12, 0, t + 1)).toISOString(),
    trends: {
      delivery_latency: { count: delivered, avg: 4, min: 1, med: 3, p90: 8, p95: 9, p99, p999: p99, max: p99 + 1 },
    },
    counters: { messages_delivered: delivered, messages_published: delivered / 20 },
    gauges: { subscribers_connected: 20 },
    generator: { cpu: 0.25, eventLoopDelayP99Ms: 1.5, rssBytes: 100_000_000 },
  };
}

export function delivery(runId: string, seq: number): DeliverySample {
  return {
    run_id: runId,
    ts_us: Date.UTC(2026, 10, 23, 12, 0, 1) * 1000 + seq * 1500,
    stream: 'room:7',
    subscriber: `user-${seq}`,
    seq,
    latency_us: 2500 + seq,
    node: 'centrifugo-1',
  };
}
