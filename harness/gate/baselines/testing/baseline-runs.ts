/**
 * Finished run folders a baseline can be saved from: summary.json and run.json of one scenario on one
 * machine, as the store's tests and the ClickHouse copy's tests need them.
 */
import type { RunInfo } from '../../../common/summary-types.ts';
import { RunWriter } from '../../../results/files/index.ts';
import { sampleSummary, trendValues } from '../../../results/files/testing.ts';

export interface BaselineRunSpec {
  runId: string;
  /** The run's mean delivery latency (ms): what makes entries differ. */
  latencyMs?: number;
  commit?: string;
  scenario?: string;
}

function runInfo(spec: BaselineRunSpec): RunInfo {
  const scenario = spec.scenario ?? 'fanout-smoke';
  return {
    schemaVersion: 1,
    runId: spec.runId,
    scenario: {
      name: scenario,
      file: `scenarios/${scenario}.ts`,
      config: {
        name: scenario,
        stack: { provider: 'local', engine: 'memory' },
        workload: {
          subscribers: { count: 100, connectRate: 100 },
          publishers: { executor: 'constant-arrival-rate', rate: 10, duration: '20s' },
          drain: '3s',
        },
      },
    },
    startedAt: '2026-11-23T12:00:00.000Z',
    git: { commit: spec.commit ?? 'a'.repeat(40), dirty: false },
    host: {
      hostname: 'runner',
      platform: 'linux',
      arch: 'x64',
      cpus: 2,
      cpuModel: 'AMD EPYC 7763 64-Core Processor',
      memoryBytes: 8 * 2 ** 30,
    },
    node: 'v20.18.0',
    harnessVersion: '0.1.0',
    stack: { provider: 'local', engine: 'memory', nodes: 1 },
    versions: { centrifugo: '6.1.0' },
  };
}

/** Writes `<root>/<runId>/` and returns its path. */
export async function writeBaselineRun(root: string, spec: BaselineRunSpec): Promise<string> {
  const writer = await RunWriter.open({ runId: spec.runId, root });
  const metrics = sampleSummary().metrics;
  metrics.delivery_latency = { type: 'trend', unit: 'ms', ...trendValues(spec.latencyMs ?? 4.2, 120000) };
  await writer.writeSummary(sampleSummary({ runId: spec.runId, scenario: spec.scenario ?? 'fanout-smoke', metrics }));
  await writer.writeRunInfo(runInfo(spec));
  await writer.close();
  return writer.dir;
}
