/**
 * The largest fan-out this box holds as 1 process and as n shards, and what sharding costs the generator per
 * delivery. `scenarios/fanout.ts` (personal channels, one broadcast a second to every one of them) against one
 * held memory-engine Centrifugo, at growing subscriber counts; each size runs once as 1 process and once as n
 * shard processes with a coordinator (merged), interleaved (the order alternates from size to size). A mode stops
 * at its first size that is invalid (the generator saturated), drops scheduled broadcasts or loses messages; the
 * bench stops when both modes have.
 *
 *   flock /tmp/bench.lock node --import tsx harness/run/sharded-fanout.bench.ts \
 *     [--sizes 2000,4000,8000,12000,16000,20000] [--shards 3] [--seconds 24] [--connect-rate 2000] \
 *     [--budget 280] [--state results/sharded-fanout.ndjson]
 *
 * Every finished run is a line in the state file; the same command again resumes where it stopped (sizes and
 * modes already there are not run again) and prints the whole table. `--budget` (seconds) stops before a size
 * that would not finish in time, so each invocation holds the bench lock for at most ~5 minutes.
 *
 * The rate is 3 broadcasts per 3 s (= 1/s): an integer rate splits over 3 shards as 1 per 3 s each. The shards'
 * schedules have no phase offset, so as shards the three broadcasts of a 3 s period leave together (one process
 * spaces them 1 s apart): latency of the two modes is not the same load shape; counts and CPU per delivery are.
 * Everything runs on 127.0.0.1; the stack and every process the bench starts are stopped at the end.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resultsRoot } from '../common/run-id.ts';
import {
  counterOf,
  deliveringCpuSeconds,
  externalStackSets,
  type FinishedRun,
  holdMemoryStack,
  readSummary,
  runSharded,
  runSingleProcess,
  trendOf,
} from './sharded-bench-kit.ts';

const SCENARIO = 'scenarios/fanout.ts';
const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '2000,4000,8000,12000,16000,20000' },
    shards: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '24' },
    'connect-rate': { type: 'string', default: '2000' },
    drain: { type: 'string', default: '5' },
    budget: { type: 'string', default: '280' },
    state: { type: 'string', default: path.join(resultsRoot(), 'sharded-fanout.ndjson') },
  },
});
const sizes = values.sizes.split(',').map(Number);
const shards = Number(values.shards);
const seconds = Number(values.seconds);
const connectRate = Number(values['connect-rate']);
const drainS = Number(values.drain);
const budgetS = Number(values.budget);
const stateFile = path.resolve(values.state);
for (const [name, value] of Object.entries({ shards, seconds, connectRate, drainS, budgetS })) {
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`--${name}: a positive number, not ${value}`);
}
if (!sizes.every((n) => Number.isInteger(n) && n >= shards)) throw new Error(`--sizes: integers ≥ ${shards}`);
if (seconds % shards !== 0) throw new Error(`--seconds: a multiple of ${shards}, so every shard's schedule fits`);

type Mode = '1 process' | `${number} shards`;
const MODES: Mode[] = ['1 process', `${shards} shards`];

/** One finished run: a state-file line. */
interface Row {
  size: number;
  mode: Mode;
  settings: string;
  runId: string;
  exitCodes: Array<number | null>;
  valid: boolean;
  invalidReasons: string[];
  published: number;
  droppedIterations: number;
  publishErrors: number;
  /** Errors by code ("http_504", …): which publish failed, once the run's folder is gone. */
  errorsByCode?: Record<string, number>;
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  p50Ms?: number;
  p99Ms?: number;
  generatorCpuS: number;
  deliveringCpuS: number;
  maxLoopDelayP99Ms: number;
  peakRssMb: number;
  loadAverageAtStart: number;
  startedAt: string;
}

/** What makes two rows comparable: a resumed session must use the same settings. */
const settings = JSON.stringify({ shards, seconds, connectRate, drainS });

function readRows(): Row[] {
  if (!existsSync(stateFile)) return [];
  return readFileSync(stateFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Row)
    .filter((row) => row.settings === settings);
}

/** Broadcasts the schedule owes: one a second for the publishing time, whichever mode. */
const scheduled = seconds;

/**
 * A mode holds a size when the run is valid, every scheduled broadcast went out (a publisher that falls behind
 * drops iterations: the load did not happen), and every owed delivery arrived.
 */
const holds = (row: Row) =>
  row.valid &&
  row.published === scheduled &&
  row.droppedIterations === 0 &&
  row.publishErrors === 0 &&
  row.lost === 0 &&
  row.expected > 0 &&
  row.delivered === row.expected;

/** The first reason, without its advice, and how many more: the full text is in the state file. */
function invalidity(row: Row): string {
  if (row.valid) return 'yes';
  const [first = '', ...more] = row.invalidReasons;
  return `no: ${first.split(' (peak')[0]}${more.length ? ` (+${more.length} more)` : ''}`;
}

/** Rough wall time of one size, both modes: start-up, the connection ramp, publishing, drain, merge. */
const estimateS = (size: number) => 2 * (15 + size / connectRate + seconds + drainS);

async function main(): Promise<void> {
  mkdirSync(path.dirname(stateFile), { recursive: true });
  const startedAt = Date.now();
  const results = mkdtempSync(path.join(os.tmpdir(), 'cb-sharded-fanout-bench-'));
  let stopStack: (() => Promise<void>) | undefined;
  try {
    for (const [i, size] of sizes.entries()) {
      const rows = readRows();
      const pending = MODES.filter(
        (mode) =>
          !rows.some((row) => row.mode === mode && row.size === size) &&
          !rows.some((row) => row.mode === mode && row.size < size && !holds(row)),
      );
      if (pending.length === 0) continue;
      const elapsedS = (Date.now() - startedAt) / 1000;
      if (stopStack && elapsedS + estimateS(size) > budgetS) {
        console.error(`budget: ${elapsedS.toFixed(0)} s used; run the same command again to go on at ${size}`);
        break;
      }
      stopStack ??= await holdMemoryStack(results);
      // Interleaved: the order of the two modes alternates from size to size.
      for (const mode of i % 2 === 0 ? pending : [...pending].reverse()) {
        const row = await runOnce(results, size, mode);
        appendFileSync(stateFile, `${JSON.stringify(row)}\n`);
        console.error(
          `${size} subscribers, ${mode}: ${row.delivered}/${row.expected} delivered, ${row.lost} lost, ` +
            `${row.published}/${scheduled} broadcasts sent, p99 ${row.p99Ms} ms, valid: ${invalidity(row)}`,
        );
      }
    }
  } finally {
    await stopStack?.();
    rmSync(results, { recursive: true, force: true });
  }
  report(readRows());
}

async function runOnce(results: string, size: number, mode: Mode): Promise<Row> {
  const sets = externalStackSets(results, [
    ['workload.subscribers.count', String(size)],
    ['workload.subscribers.connectRate', String(connectRate)],
    ['workload.publishers.rate', String(shards)],
    ['workload.publishers.timeUnit', `${shards}s`],
    ['workload.publishers.duration', `${seconds}s`],
    ['workload.drain', `${drainS}s`],
  ]);
  const loadAverageAtStart = os.loadavg()[0]!;
  const runId = `fanout-${size}-${shards}-shards-${Date.now()}`;
  const run: FinishedRun =
    mode === '1 process'
      ? await runSingleProcess(results, SCENARIO, sets)
      : await runSharded(results, SCENARIO, shards, runId, sets);
  const s = readSummary(run.dir);
  return {
    size,
    mode,
    settings,
    runId: s.runId,
    exitCodes: run.exitCodes,
    valid: s.valid,
    invalidReasons: s.invalidReasons,
    published: counterOf(s, 'messages_published'),
    droppedIterations: counterOf(s, 'dropped_iterations'),
    publishErrors: counterOf(s, 'publish_errors'),
    errorsByCode: s.errorsByCode,
    expected: counterOf(s, 'messages_expected'),
    delivered: counterOf(s, 'messages_delivered'),
    lost: counterOf(s, 'messages_lost'),
    duplicated: counterOf(s, 'messages_duplicated'),
    p50Ms: trendOf(s, 'delivery_latency', 'med'),
    p99Ms: trendOf(s, 'delivery_latency', 'p99'),
    generatorCpuS: s.generator.cpuSeconds,
    deliveringCpuS: Math.round(deliveringCpuSeconds(run.dir) * 100) / 100,
    maxLoopDelayP99Ms: s.generator.maxEventLoopDelayP99Ms,
    peakRssMb: Math.round(s.generator.peakRssBytes / 2 ** 20),
    loadAverageAtStart: Math.round(loadAverageAtStart * 100) / 100,
    startedAt: s.startedAt,
  };
}

function report(rows: Row[]): void {
  const perMillion = (cpuS: number, row: Row) => (row.delivered ? ((cpuS * 1e6) / row.delivered).toFixed(1) : '–');
  const ms = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(0));
  console.log(
    '| subscribers | mode | valid | broadcasts sent / scheduled (dropped, failed API calls) | delivered / expected | lost | ' +
      'p50 / p99 (ms) | generator CPU-s per million deliveries (whole run) | … while delivering | ' +
      'worst loop delay p99 (ms) | load avg at start |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const row of [...rows].sort((a, b) => a.size - b.size || a.mode.localeCompare(b.mode))) {
    console.log(
      `| ${row.size.toLocaleString('en')} | ${row.mode} | ${invalidity(row)} | ` +
        `${row.published} / ${scheduled} (${row.droppedIterations}, ${row.publishErrors}) | ` +
        `${row.delivered.toLocaleString('en')} / ${row.expected.toLocaleString('en')} | ${row.lost} | ` +
        `${ms(row.p50Ms)} / ${ms(row.p99Ms)} | ${perMillion(row.generatorCpuS, row)} | ` +
        `${perMillion(row.deliveringCpuS, row)} | ${row.maxLoopDelayP99Ms.toFixed(0)} | ${row.loadAverageAtStart} |`,
    );
  }
  for (const mode of MODES) {
    const held = rows.filter((row) => row.mode === mode && holds(row)).map((row) => row.size);
    const failed = rows.filter((row) => row.mode === mode && !holds(row)).map((row) => row.size);
    const largest = held.length ? Math.max(...held).toLocaleString('en') : 'none';
    const firstFailed = failed.length ? `; first size that did not: ${Math.min(...failed).toLocaleString('en')}` : '';
    console.log(`largest fan-out held, ${mode}: ${largest}${firstFailed}`);
  }
}

await main();
