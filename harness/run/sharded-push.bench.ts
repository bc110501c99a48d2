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
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunSummary } from '../common/summary-types.ts';
import { holdUntilStopped, parseStackSpec, startHeldStack } from '../stack/index.ts';

const BIN = fileURLToPath(new URL('../cli/bin.mjs', import.meta.url));
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
  ['stack.stackFile', path.join(STACKS, 'push.json')],
  ['push.devices.count', values.devices],
  ['push.pushes.total', values.pushes],
  ['push.drainTimeoutS', '240'],
].flatMap(([key, value]) => ['--set', `${key}=${value}`]);
const summaryOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;

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
    await cli(['run', 'scenarios/push-flood.ts', '--no-thresholds', '--no-report', ...sets]).exit;
    const single = readdirSync(RESULTS).find((name) => existsSync(path.join(RESULTS, name, 'summary.json')));
    if (!single) throw new Error('the single-process run wrote no summary');
    const coordinator = cli([
      'coordinate',
      'scenarios/push-flood.ts',
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
        'scenarios/push-flood.ts',
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
    holding.abort();
    await stopped;
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
  const ledger = (s: RunSummary) => s.push_ledger;
  const counter = (s: RunSummary, name: string) => {
    const metric = s.metrics[name];
    return metric?.type === 'counter' ? metric.count : 0;
  };
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
      (s) => ((s.generator.cpuSeconds * 1e6) / Math.max(1, counter(s, 'pushes_enqueued'))).toFixed(1),
    ],
    ['valid', (s) => (s.valid ? 'yes' : `no: ${s.invalidReasons.join('; ')}`)],
  ];
  console.log(`| | 1 process | ${shards} shards (merged) |\n|---|---|---|`);
  for (const [name, value] of rows) console.log(`| ${name} | ${value(one)} | ${value(merged)} |`);
}

await main();
