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
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunSummary } from '../common/summary-types.ts';

const BIN = fileURLToPath(new URL('../cli/bin.mjs', import.meta.url));
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

function cli(args: string[]): { exit: Promise<number | null>; stdout: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, CENTRIFUGO_BENCH_RESULTS: RESULTS },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  return { exit: new Promise((resolve) => child.once('exit', resolve)), stdout: () => out };
}

const sets = [
  ['stack.provider', 'external'],
  ['stack.stackFile', path.join(RESULTS, '.stacks', 'default.json')],
  ['workload.subscribers.count', values.subscribers],
  ['workload.subscribers.connectRate', '1000'],
  ['workload.publishers.rate', values.rate],
  ['workload.publishers.duration', `${values.seconds}s`],
  ['workload.drain', '3s'],
].flatMap(([key, value]) => ['--set', `${key}=${value}`]);
const summaryOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
const count = (s: RunSummary, name: string) => {
  const metric = s.metrics[name];
  return metric?.type === 'counter' ? metric.count : 0;
};

async function main(): Promise<void> {
  if ((await cli(['stack', 'up', '--no-setup', '--engine', 'memory', '--services', 'none']).exit) !== 0) {
    throw new Error('stack up failed');
  }
  try {
    await cli(['run', 'scenarios/smoke.ts', '--no-thresholds', '--no-report', ...sets]).exit;
    const single = readdirSync(RESULTS).find((name) => existsSync(path.join(RESULTS, name, 'summary.json')));
    if (!single) throw new Error('the single-process run wrote no summary');
    const coordinator = cli([
      'coordinate',
      'scenarios/smoke.ts',
      '--shards',
      String(shards),
      '--run-id',
      'sharded',
      '--port',
      '0',
      '--merge',
      ...sets,
    ]);
    await coordinatorReady(coordinator);
    const url = (JSON.parse(coordinator.stdout().split('\n')[0]!) as { url: string }).url;
    const runs = Array.from({ length: shards }, (_, i) =>
      cli([
        'run',
        'scenarios/smoke.ts',
        '--shard',
        `${i}/${shards}`,
        '--coordinator',
        url,
        '--run-id',
        'sharded',
        '--no-thresholds',
        '--no-report',
        ...sets,
      ]),
    );
    await Promise.all(runs.map((run) => run.exit));
    await coordinator.exit;
    report(summaryOf(path.join(RESULTS, single)), summaryOf(path.join(RESULTS, 'sharded')));
  } finally {
    await cli(['stack', 'down']).exit;
    rmSync(RESULTS, { recursive: true, force: true });
  }
}

async function coordinatorReady(coordinator: { stdout: () => string }): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!coordinator.stdout().includes('"url"')) {
    if (Date.now() > deadline) throw new Error('the coordinator did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function report(one: RunSummary, merged: RunSummary): void {
  const rows: [string, (s: RunSummary) => string][] = [
    ['messages_published', (s) => String(count(s, 'messages_published'))],
    ['dropped_iterations', (s) => String(count(s, 'dropped_iterations'))],
    ['publish_errors', (s) => String(count(s, 'publish_errors'))],
    ['messages_expected', (s) => String(count(s, 'messages_expected'))],
    ['messages_delivered', (s) => String(count(s, 'messages_delivered'))],
    ['messages_lost', (s) => String(count(s, 'messages_lost'))],
    ['messages_duplicated', (s) => String(count(s, 'messages_duplicated'))],
    ['delivery p50 (ms)', (s) => latency(s, 'med')],
    ['delivery p99 (ms)', (s) => latency(s, 'p99')],
    ['generator CPU (s)', (s) => s.generator.cpuSeconds.toFixed(2)],
    [
      'generator CPU per delivery (µs)',
      (s) => ((s.generator.cpuSeconds * 1e6) / Math.max(1, count(s, 'messages_delivered'))).toFixed(1),
    ],
    ['valid', (s) => (s.valid ? 'yes' : `no: ${s.invalidReasons.join('; ')}`)],
  ];
  console.log(`| | 1 process | ${shards} shards (merged) |\n|---|---|---|`);
  for (const [name, value] of rows) console.log(`| ${name} | ${value(one)} | ${value(merged)} |`);
  for (const event of merged.timeline.filter((e) => / clock$/.test(e.name)))
    console.log(`${event.name}: ${event.detail}`);
}

function latency(s: RunSummary, field: 'med' | 'p99'): string {
  const metric = s.metrics.delivery_latency;
  return metric?.type === 'trend' ? String(metric[field]) : '–';
}

await main();
