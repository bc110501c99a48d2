/**
 * One run, start to end — the way every command runs a scenario (`run`, each cell of `compare`):
 *
 *   plan (frozen) ─▶ stack up ─▶ outputs start ─▶ seed ─▶ driver ─▶ summary + thresholds ─▶ outputs stop ─▶ verdict
 *                       └─────────────────── stack down, whatever happens ───────────────────┘
 *
 * The driver's points, events, samples and progress go to every output as they happen; the stack's crash,
 * a signal or an abortOnFail threshold stop the driver early. The CLI only prints what comes back.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { log } from '../common/log.ts';
import { newRunId, resultsRoot } from '../common/run-id.ts';
import { type RunSummary, SUMMARY_SCHEMA_VERSION } from '../common/summary-types.ts';
import type { DriverResult } from '../engine/index.ts';
import { checkAbort, decideVerdict, evaluateThresholds, percentileLookupFromHdr, type Verdict } from '../gate/index.ts';
import { gatherRunInfo } from '../results/files/index.ts';
import { ensureTools, type Stack, servicesFor, startStack } from '../stack/index.ts';
import { DRIVERS, type RunHooks } from './drivers.ts';
import { createOutputs, type Output, ReportOutput, type RunEnd } from './outputs/index.ts';
import type { RunPlan } from './plan.ts';
import { seedStack } from './seed.ts';
import { type DistributedOptions, type ShardHooks, ShardSession, writeShardRecord } from './shard-session.ts';

export interface RunOptions {
  signal: AbortSignal;
  /** Install missing programs first (setup). */
  setup: boolean;
  /** A shard of a distributed run (plan.shard): its coordinator and the run id every shard shares. */
  distributed?: DistributedOptions;
}

export interface RunOutcome {
  summary: RunSummary;
  /** `results/<run-id>/` */
  dir: string;
  /** report.html, when the report output was selected. */
  reportPath?: string;
  /** What the run's files and summaries say, and what the process returns. */
  verdict: Verdict;
  /** The verdict as an exit code (harness/common/exit-codes.ts). */
  exitCode: number;
}

/** The plan lines printed before anything starts: the scenario, the load, the outputs. */
function describePlan(plan: RunPlan): string[] {
  return DRIVERS[plan.driver].describe(plan);
}

export async function runPlan(plan: RunPlan, options: RunOptions): Promise<RunOutcome> {
  log.info('run', `scenario ${plan.scenario.name} (${plan.file})`);
  for (const warning of plan.warnings) log.warn('run', warning);
  for (const line of describePlan(plan)) log.info('plan', line);
  if (plan.stack.provider === 'local')
    await ensureTools(servicesFor(plan.stack), { setup: options.setup, signal: options.signal });

  const distributed = options.distributed;
  const runId = distributed?.runId ?? newRunId();
  // A shard writes an ordinary run folder inside the run's: results/<run-id>/shards/<i>/ (`results merge`).
  const dir = distributed
    ? path.join(resultsRoot(), runId, 'shards', String(plan.shard.index))
    : path.join(resultsRoot(), runId);
  const startedAt = new Date();
  // Before anything starts: a shard the coordinator refuses (another scenario, version) exits 2 here.
  const session = distributed ? await ShardSession.join(plan, distributed) : undefined;
  const signal = session ? AbortSignal.any([options.signal, session.stopSignal]) : options.signal;
  let stack: Stack;
  try {
    stack = await startStack(plan.stack, { runId, logsDir: path.join(dir, 'logs'), signal });
  } catch (error) {
    session?.close();
    // A stack that did not start leaves its services' logs (kept: they say why), but no empty run folder.
    removeEmptyFolders(dir);
    throw error;
  }
  let outputs: Output[] = [];
  let end: RunEnd | undefined;
  try {
    outputs = createOutputs(plan.outputs, {
      dir,
      stackClickHouseUrl: stack.endpoints.clickhouse?.url,
      // A shard's rows go under the run id with its shard index (ClickHouse's `shard` column).
      ...(session ? { shard: String(plan.shard.index) } : {}),
    });
    const info = await gatherRunInfo({
      runId,
      scenario: {
        name: plan.scenario.name,
        file: plan.file,
        description: plan.scenario.description,
        config: plan.input,
      },
      startedAt,
      stack: {
        provider: stack.provider,
        engine: stack.endpoints.centrifugo.engine,
        nodes: stack.endpoints.centrifugo.nodes.length,
      },
      versions: stack.versions,
    });
    for (const output of outputs) await output.start({ dir, info });
    log.info('plan', `outputs: ${outputs.map((o) => o.description()).join('; ')}`);

    const run = await drive(plan, runId, stack, outputs, signal, session?.engineHooks() ?? {});
    const shardEnd = await session?.measureAfter();
    const reportPath = plan.outputs.report ? ReportOutput.pathIn(dir) : undefined;
    // Stopped by the coordinator (another shard died), not by a signal here: the run is invalid, not "stopped".
    const stoppedByRun = Boolean(session?.stopSignal.aborted) && !options.signal.aborted;
    const summary = summarize(plan, runId, run, shardEnd?.invalidReasons ?? [], stoppedByRun);
    if (shardEnd) await writeShardRecord(dir, { ...shardEnd.record, invalidReasons: summary.invalidReasons });
    // One verdict for every output and for the exit code: they never disagree.
    const verdict = decideVerdict(summary);
    end = { summary, verdict, histograms: run.result.histograms, reportPath };
    const stopping = outputs;
    outputs = [];
    await stopOutputs(stopping, end);
    await session?.uploadResults(dir);
    await session?.markDone();
    if (run.crash) for (const line of run.crash.logTail) log.error('run', `  ${line}`);
    return { summary, dir, reportPath, verdict, exitCode: verdict.exitCode };
  } finally {
    // Outputs not stopped yet (the run failed): they release what they hold and mark it incomplete.
    await stopOutputs(outputs, undefined).catch(() => {});
    session?.close();
    await stack.down();
  }
}

interface Crash {
  service: string;
  message: string;
  logTail: string[];
}

interface Driven {
  result: DriverResult;
  crash: Crash | undefined;
  /** CPU seconds each service of the stack used while the driver ran. */
  sutCpu: Record<string, number>;
}

/** Seeds, runs the plan's driver with every output listening, and stops it early on a crash, signal or threshold. */
async function drive(
  plan: RunPlan,
  runId: string,
  stack: Stack,
  outputs: Output[],
  signal: AbortSignal,
  shardHooks: ShardHooks,
): Promise<Driven> {
  const stop = new AbortController();
  const stopOn = (reason: unknown) => stop.abort(reason);
  const onSignal = () => stopOn(signal.reason);
  if (signal.aborted) onSignal();
  // Removed afterwards: compare runs many cells under one command's signal.
  signal.addEventListener('abort', onSignal, { once: true });
  let crash: Crash | undefined;
  try {
    void stack.crashed.then((c) => {
      crash = c;
      log.error('run', `${c.message}; stopping the run`);
      stopOn(new Error(c.message));
    });
    const seeded = await seedStack(plan, stack);
    const thresholds = plan.thresholds;
    const started = performance.now();
    const sampleRate = plan.scenario.results.sampleRate;
    const hooks: RunHooks = {
      ...shardHooks,
      signal: stop.signal,
      onPoint: (point) => {
        for (const output of outputs) output.addPoint?.(point);
      },
      onEvent: (event) => {
        for (const output of outputs) output.addEvent?.(event);
      },
      onProgress: (progress) => {
        for (const output of outputs) output.addProgress?.(progress);
      },
      // results.sampleRate → sampled delivery rows in samples.ndjson (and ClickHouse's deliveries table).
      ...(sampleRate > 0
        ? {
            samples: { rate: sampleRate, runId },
            onSamples: (rows) => {
              for (const output of outputs) output.addSamples?.(rows);
            },
          }
        : {}),
      checkAbort: thresholds.some((t) => t.abortOnFail)
        ? (metrics) => checkAbort(thresholds, metrics, (performance.now() - started) / 1000)?.reason
        : undefined,
    };
    const cpuBefore = stack.cpuSeconds();
    const result = await DRIVERS[plan.driver].run(plan, stack, seeded, hooks);
    const cpuAfter = stack.cpuSeconds();
    const sutCpu = Object.fromEntries(
      Object.entries(cpuAfter).map(([service, s]) => [
        service,
        Math.round((s - (cpuBefore[service] ?? 0)) * 100) / 100,
      ]),
    );
    return { result, crash, sutCpu };
  } finally {
    signal.removeEventListener('abort', onSignal);
  }
}

/**
 * The run's summary.json: the driver's figures, the crash if any, and the thresholds evaluated on the whole
 * run. A run stopped by a signal or broken by an error is partial: invalid, with a reason saying what was
 * and was not accounted — its thresholds (`messages_lost count==0` on a loss never counted) prove nothing.
 */
function summarize(
  plan: RunPlan,
  runId: string,
  { result, crash, sutCpu }: Driven,
  shardInvalidReasons: readonly string[],
  stoppedByDistributedRun: boolean,
): RunSummary {
  let aborted = crash ? { by: 'error', reason: crash.message } : result.aborted;
  const distributedStop = aborted?.by === 'signal' || aborted?.reason.startsWith('distributed run aborted');
  if (stoppedByDistributedRun && aborted && distributedStop)
    aborted = { by: 'distributed run', reason: aborted.reason };
  const invalidReasons = [...result.invalidReasons, ...shardInvalidReasons];
  if (aborted && aborted.by !== 'threshold') invalidReasons.push(partialRunReason(aborted, result));
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    runId,
    scenario: plan.scenario.name,
    startedAt: result.startedAt,
    endedAt: result.endedAt,
    durationS: result.durationS,
    valid: invalidReasons.length === 0,
    invalidReasons,
    aborted,
    thresholds: evaluateThresholds([...plan.thresholds], result.metrics, {
      percentile: percentileLookupFromHdr(result.histograms),
    }),
    metrics: result.metrics,
    errorsByCode: result.errorsByCode,
    generator: result.generator,
    timeline: result.timeline,
    ...(result.pushLedger ? { push_ledger: result.pushLedger } : {}),
    ...(Object.keys(sutCpu).length ? { sut: { cpuSeconds: sutCpu } } : {}),
  };
}

/** What an interrupted run's numbers cover, for its invalid reason. */
function partialRunReason(aborted: { by: string; reason: string }, result: DriverResult): string {
  const accounted = !result.accounted
    ? 'it was stopped before its accounting: loss and duplicates are unknown'
    : result.pushLedger
      ? 'the push ledger accounts for the pushes enqueued before the stop'
      : 'deliveries are accounted for the messages published before the stop';
  const at = result.durationS ? ` after ${Math.round(result.durationS)} s` : '';
  return `partial run: interrupted${at} (${aborted.by}: ${aborted.reason}); ${accounted}`;
}

/** Removes `dir` if nothing but empty folders is in it. */
function removeEmptyFolders(dir: string): void {
  if (!existsSync(dir)) return;
  const isEmpty = (folder: string): boolean =>
    readdirSync(folder, { withFileTypes: true }).every(
      (entry) => entry.isDirectory() && isEmpty(path.join(folder, entry.name)),
    );
  if (isEmpty(dir)) rmSync(dir, { recursive: true, force: true });
}

/** In registry order; an output that fails to stop does not keep the others from stopping. */
async function stopOutputs(outputs: Output[], end: RunEnd | undefined): Promise<void> {
  let first: unknown;
  for (const output of outputs) {
    try {
      await output.stop(end);
    } catch (error) {
      first ??= error;
    }
  }
  if (first) throw first;
}
