/**
 * The cost and the exactness of sharding, measured on this box: the same scenario as one process and as n shard
 * processes (a coordinator, `run --shard i/n`, merged), against one held stack. Prints expected / delivered /
 * lost / duplicated side by side (they must be equal), delivery latency p50 / p99, generator CPU per delivery,
 * and each shard's clock offset ± uncertainty to the coordinator.
 *
 *   flock /tmp/bench.lock node --import tsx harness/run/sharded.bench.ts [--shards 3] [--subscribers 900] [--rate 30] [--seconds 10]
 *
 * Everything runs on 127.0.0.1; the stack and every process it starts are stopped at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { RunSummary } from '../common/summary-types.ts';
import {
  counterOf,
  externalStackSets,
  holdMemoryStack,
  readSummary,
  runSharded,
  runSingleProcess,
  trendOf,
} from './sharded-bench-kit.ts';

const RESULTS = mkdtempSync(path.join(os.tmpdir(), 'cb-sharded-bench-'));
const { values } = parseArgs({
  options: {
    shards: { type: 'string', default: '3' },
    subscribers: { type: 'string', default: '900' },
    rate: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '10' },
  },
});
const shards = Number(values.shards);

const sets = externalStackSets(RESULTS, [
  ['workload.subscribers.count', values.subscribers],
  ['workload.subscribers.connectRate', '1000'],
  ['workload.publishers.rate', values.rate],
  ['workload.publishers.duration', `${values.seconds}s`],
  ['workload.drain', '3s'],
]);

async function main(): Promise<void> {
  const stopStack = await holdMemoryStack(RESULTS);
  try {
    const single = await runSingleProcess(RESULTS, 'scenarios/smoke.ts', sets);
    const sharded = await runSharded(RESULTS, 'scenarios/smoke.ts', shards, 'sharded', sets);
    report(readSummary(single.dir), readSummary(sharded.dir));
  } finally {
    await stopStack();
    rmSync(RESULTS, { recursive: true, force: true });
  }
}

function report(one: RunSummary, merged: RunSummary): void {
  const rows: [string, (s: RunSummary) => string][] = [
    ['messages_published', (s) => String(counterOf(s, 'messages_published'))],
    ['dropped_iterations', (s) => String(counterOf(s, 'dropped_iterations'))],
    ['publish_errors', (s) => String(counterOf(s, 'publish_errors'))],
    ['messages_expected', (s) => String(counterOf(s, 'messages_expected'))],
    ['messages_delivered', (s) => String(counterOf(s, 'messages_delivered'))],
    ['messages_lost', (s) => String(counterOf(s, 'messages_lost'))],
    ['messages_duplicated', (s) => String(counterOf(s, 'messages_duplicated'))],
    ['delivery p50 (ms)', (s) => latency(s, 'med')],
    ['delivery p99 (ms)', (s) => latency(s, 'p99')],
    ['generator CPU (s)', (s) => s.generator.cpuSeconds.toFixed(2)],
    [
      'generator CPU per delivery (µs)',
      (s) => ((s.generator.cpuSeconds * 1e6) / Math.max(1, counterOf(s, 'messages_delivered'))).toFixed(1),
    ],
    ['valid', (s) => (s.valid ? 'yes' : `no: ${s.invalidReasons.join('; ')}`)],
  ];
  console.log(`| | 1 process | ${shards} shards (merged) |\n|---|---|---|`);
  for (const [name, value] of rows) console.log(`| ${name} | ${value(one)} | ${value(merged)} |`);
  for (const event of merged.timeline.filter((e) => / clock$/.test(e.name)))
    console.log(`${event.name}: ${event.detail}`);
}

function latency(s: RunSummary, field: 'med' | 'p99'): string {
  return String(trendOf(s, 'delivery_latency', field) ?? '–');
}

await main();
