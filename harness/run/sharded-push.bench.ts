/**
 * A sharded push flood against the same flood as one process, on this box: `scenarios/push-flood.ts` (relay +
 * sink held once, in this process) as one `run`, then as n shard processes with a coordinator, merged. Prints the
 * push ledgers side by side (they must be equal), the run's wall time, e2e latency p50 / p99 and the generator's
 * CPU per push (the cost of sharding the generator; the relay and the sink do the same work either way).
 *
 *   flock /tmp/bench.lock node --import tsx harness/run/sharded-push.bench.ts [--shards 2] [--pushes 200000] [--devices 20000]
 *
 * Everything runs on 127.0.0.1; the stack and every process it starts are stopped at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { RunSummary } from '../common/summary-types.ts';
import { holdUntilStopped, parseStackSpec, startHeldStack } from '../stack/index.ts';
import { counterOf, externalStackSets, readSummary, runSharded, runSingleProcess } from './sharded-bench-kit.ts';

const RESULTS = mkdtempSync(path.join(os.tmpdir(), 'cb-sharded-push-bench-'));
const STACKS = path.join(RESULTS, '.stacks');
const { values } = parseArgs({
  options: {
    shards: { type: 'string', default: '2' },
    pushes: { type: 'string', default: '200000' },
    devices: { type: 'string', default: '20000' },
  },
});
const shards = Number(values.shards);

const sets = externalStackSets(
  RESULTS,
  [
    ['push.devices.count', values.devices],
    ['push.pushes.total', values.pushes],
    ['push.drainTimeoutS', '240'],
  ],
  'push',
);

async function main(): Promise<void> {
  process.env.CENTRIFUGO_BENCH_RESULTS = RESULTS;
  const holding = new AbortController();
  // The scenario's own stack, held once: the relay with a worker process per core, the sink with one worker.
  const held = await startHeldStack(
    parseStackSpec({
      provider: 'local',
      engine: 'memory',
      pushSink: { workers: 1, webPush: { decryptSampleRate: 0.01 } },
      pushRelay: { workerProcesses: 'auto', concurrency: 400 },
    }),
    'push',
    STACKS,
    holding.signal,
  );
  const stopped = holdUntilStopped(held, holding.signal);
  try {
    const single = await runSingleProcess(RESULTS, 'scenarios/push-flood.ts', sets);
    const sharded = await runSharded(RESULTS, 'scenarios/push-flood.ts', shards, 'sharded', sets);
    report(readSummary(single.dir), readSummary(sharded.dir));
  } finally {
    holding.abort();
    await stopped;
    rmSync(RESULTS, { recursive: true, force: true });
  }
}

function report(one: RunSummary, merged: RunSummary): void {
  const ledger = (s: RunSummary) => s.push_ledger;
  const e2e = (s: RunSummary, field: 'med' | 'p99') => {
    const metric = s.metrics.push_e2e_latency;
    return metric?.type === 'trend' ? `${(metric[field] / 1000).toFixed(2)} s` : '–';
  };
  const rows: [string, (s: RunSummary) => string][] = [
    ['push ledger: enqueued', (s) => String(ledger(s)?.enqueued)],
    ['delivered', (s) => String(ledger(s)?.delivered)],
    ['failed', (s) => JSON.stringify(ledger(s)?.failed)],
    ['queued / unaccounted', (s) => `${ledger(s)?.queued} / ${ledger(s)?.unaccounted}`],
    [
      'e2e latency receipts',
      (s) => String(s.metrics.push_e2e_latency?.type === 'trend' && s.metrics.push_e2e_latency.count),
    ],
    ['run (s, start to drained)', (s) => s.durationS.toFixed(1)],
    ['e2e p50 / p99', (s) => `${e2e(s, 'med')} / ${e2e(s, 'p99')}`],
    ['generator CPU (s)', (s) => s.generator.cpuSeconds.toFixed(2)],
    [
      'generator CPU per push (µs)',
      (s) => ((s.generator.cpuSeconds * 1e6) / Math.max(1, counterOf(s, 'pushes_enqueued'))).toFixed(1),
    ],
    ['valid', (s) => (s.valid ? 'yes' : `no: ${s.invalidReasons.join('; ')}`)],
  ];
  console.log(`| | 1 process | ${shards} shards (merged) |\n|---|---|---|`);
  for (const [name, value] of rows) console.log(`| ${name} | ${value(one)} | ${value(merged)} |`);
}

await main();
