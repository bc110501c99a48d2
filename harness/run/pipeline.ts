/**
 * One run, start to end — the way every command runs a scenario (`run`, each cell of `compare`):
 *
 *   plan (frozen) ─▶ stack up ─▶ outputs start ─▶ seed ─▶ driver ─▶ summary + thresholds ─▶ outputs stop ─▶ verdict
 *                       └─────────────────── stack down, whatever happens ───────────────────┘
 *
 * The driver's points, events, samples and progress go to every output as they happen; the stack's crash,
 * a signal or an abortOnFail threshold stop the driver early. The CLI only prints what comes back.
 */
import path from 'node:path';
import { ExitCode } from '../common/exit-codes.ts';
import { log } from '../common/log.ts';
import { newRunId, resultsRoot } from '../common/run-id.ts';
import { type RunSummary, SUMMARY_SCHEMA_VERSION } from '../common/summary-types.ts';
import type { DriverResult, EngineHooks } from '../engine/index.ts';
import { checkAbort, evaluateThresholds, exitCodeFor, percentileLookupFromHdr } from '../gate/index.ts';
import { gatherRunInfo } from '../results/files/index.ts';
import { ensureTools, type Stack, servicesFor, startStack } from '../stack/index.ts';
import { DRIVERS } from './drivers.ts';
import { createOutputs, type Output, ReportOutput, type RunEnd } from './outputs/index.ts';
import type { RunPlan } from './plan.ts';
import { seedStack } from './seed.ts';

export interface RunOptions {
  signal: AbortSignal;
  /** Install missing programs first (setup). */
  setup: boolean;
}

export interface RunOutcome {
  summary: RunSummary;
  /** `results/<run-id>/` */
  dir: string;
  /** report.html, when the report output was selected. */
  reportPath?: string;
  /** The verdict as an exit code (harness/common/exit-codes.ts). */
  exitCode: number;
}

/** The plan lines printed before anything starts: the scenario, the load, the outputs. */
export function describePlan(plan: RunPlan): string[] {
  return DRIVERS[plan.driver].describe(plan);
}

export async function runPlan(plan: RunPlan, options: RunOptions): Promise<RunOutcome> {
  log.info('run', `scenario ${plan.scenario.name} (${plan.file})`);
  for (const warning of plan.warnings) log.warn('run', warning);
  for (const line of describePlan(plan)) log.info('plan', line);
  if (plan.stack.provider === 'local') await ensureTools(servicesFor(plan.stack), { setup: options.setup });

  const runId = newRunId();
  const dir = path.join(resultsRoot(), runId);
  const startedAt = new Date();
  const stack = await startStack(plan.stack, { runId, logsDir: path.join(dir, 'logs'), signal: options.signal });
  let outputs: Output[] = [];
  let end: RunEnd | undefined;
  try {
    outputs = createOutputs(plan.outputs, { dir, stackClickHouseUrl: stack.endpoints.clickhouse?.url });
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

    const run = await drive(plan, runId, stack, outputs, options.signal);
    const reportPath = plan.outputs.report ? ReportOutput.pathIn(dir) : undefined;
    end = { summary: summarize(plan, runId, run), histograms: run.result.histograms, reportPath };
    const stopping = outputs;
    outputs = [];
    await stopOutputs(stopping, end);
    let exitCode: number = exitCodeFor(end.summary);
    if (run.crash) {
      for (const line of run.crash.logTail) log.error('run', `  ${line}`);
      exitCode = ExitCode.harnessError;
    } else if (options.signal.aborted) {
      exitCode = ExitCode.externalAbort;
    }
    return { summary: end.summary, dir, reportPath, exitCode };
  } finally {
    // Outputs not stopped yet (the run failed): they release what they hold and mark it incomplete.
    await stopOutputs(outputs, undefined).catch(() => {});
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
    const hooks: EngineHooks = {
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

/** The run's summary.json: the driver's figures, the crash if any, and the thresholds evaluated on the whole run. */
function summarize(plan: RunPlan, runId: string, { result, crash, sutCpu }: Driven): RunSummary {
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    runId,
    scenario: plan.scenario.name,
    startedAt: result.startedAt,
    endedAt: result.endedAt,
    durationS: result.durationS,
    valid: result.valid && !crash,
    invalidReasons: crash ? [...result.invalidReasons, crash.message] : result.invalidReasons,
    aborted: crash ? { by: 'error', reason: crash.message } : result.aborted,
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
