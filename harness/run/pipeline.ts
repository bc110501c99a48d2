/**
 * One run of a scenario, start to end: validate → plan → stack up → load → files → thresholds → report
 * → verdict, with the stack torn down whatever happens. `run` calls it once; `compare` once per cell.
 */
import path from 'node:path';
import { ExitCode } from '../common/exit-codes.ts';
import { log } from '../common/log.ts';
import { newRunId } from '../common/run-id.ts';
import type { RunSummary } from '../common/summary-types.ts';
import { SUMMARY_SCHEMA_VERSION } from '../common/summary-types.ts';
import { percentileLookupFromHdr } from '../gate/hdr-percentiles.ts';
import { renderJunit } from '../gate/render/junit-report.ts';
import { renderMarkdownSummary } from '../gate/render/markdown-summary.ts';
import { renderTerminalSummary } from '../gate/render/terminal-summary.ts';
import { checkAbort, evaluateThresholds } from '../gate/thresholds.ts';
import { exitCodeFor } from '../gate/verdict.ts';
import { createLiveWriter, type LiveWriter, loadRunDir } from '../results/clickhouse/index.ts';
import { gatherRunInfo, RunWriter } from '../results/files/index.ts';
import { renderRunReport } from '../results/report/index.ts';
import { servicesFor, startStack } from '../stack/index.ts';
import { defaultClickHouseUrl } from '../stack/kept-clickhouse.ts';
import { ensureTools } from '../stack/toolchain/ensure-tools.ts';
import { ProgressLine } from './progress.ts';
import { checkDatasetNeeds } from './run-dataset.ts';
import { checkDriverNeeds, type DriverHooks, type DriverResult, describeDriver, runDriver } from './run-drivers.ts';
import type { LoadedScenario } from './scenario-loader.ts';

export interface ScenarioRunOptions {
  signal: AbortSignal;
  /** Install missing programs first (setup). */
  setup: boolean;
  report: boolean;
  /** false: like k6 --no-thresholds. */
  thresholds: boolean;
  /** Print the k6-style summary on stdout (compare prints its own table instead). */
  printSummary: boolean;
}

export interface ScenarioRunOutcome {
  summary: RunSummary;
  dir: string;
  /** The verdict as an exit code (harness/common/exit-codes.ts). */
  exitCode: number;
}

export async function executeScenario(
  loaded: LoadedScenario,
  options: ScenarioRunOptions,
): Promise<ScenarioRunOutcome> {
  const { scenario, input, file } = loaded;
  const thresholds = options.thresholds ? scenario.thresholds : [];
  const stackSpec = scenario.stack;
  // results.clickhouse: true → a ClickHouse that outlives the run if there is one, else the stack's own.
  const keptClickHouse = scenario.results.clickhouse === true ? defaultClickHouseUrl() : undefined;
  if (scenario.results.clickhouse === true && !keptClickHouse && !stackSpec.services.includes('clickhouse')) {
    stackSpec.services.push('clickhouse');
    log.warn(
      'results',
      "no ClickHouse outlives this run ($CENTRIFUGO_BENCH_CLICKHOUSE_URL unset, no `stack up` stack with one): the stack's own ClickHouse is deleted at teardown; `results load` fills another later",
    );
  }
  checkDatasetNeeds(scenario, stackSpec);
  checkDriverNeeds(scenario, stackSpec);
  log.info('run', `scenario ${scenario.name} (${file})`);
  for (const line of describeDriver(scenario, stackSpec)) log.info('plan', line);
  if (stackSpec.provider === 'local') await ensureTools(servicesFor(stackSpec), { setup: options.setup });

  const runId = newRunId();
  const writer = await RunWriter.open({ runId });
  const startedAt = new Date();
  const stack = await startStack(stackSpec, { runId, logsDir: writer.path('logs'), signal: options.signal });
  const progress = new ProgressLine();
  let crash: { service: string; message: string; logTail: string[] } | undefined;
  let live: LiveWriter | undefined;
  try {
    const runInfo = await gatherRunInfo({
      runId,
      scenario: { name: scenario.name, file, description: scenario.description, config: input },
      startedAt,
      stack: {
        provider: stack.provider,
        engine: stack.endpoints.centrifugo.engine,
        nodes: stack.endpoints.centrifugo.nodes.length,
      },
      versions: stack.versions,
    });
    await writer.writeRunInfo(runInfo);
    // Files first: the live ClickHouse writer never blocks the run; what it misses is loaded from files.
    const clickhouseUrl = clickhouseTarget(
      scenario.results.clickhouse,
      keptClickHouse ?? stack.endpoints.clickhouse?.url,
    );
    if (clickhouseUrl) live = createLiveWriter(clickhouseUrl, runInfo);

    // The run stops early on Ctrl-C, on a crashed service, or on an abortOnFail threshold.
    const engineAbort = new AbortController();
    const stopOn = (reason: unknown) => engineAbort.abort(reason);
    options.signal.addEventListener('abort', () => stopOn(options.signal.reason), { once: true });
    void stack.crashed.then((c) => {
      crash = c;
      log.error('run', `${c.message}; stopping the run`);
      stopOn(new Error(c.message));
    });
    const engineStarted = performance.now();
    // results.sampleRate → sampled delivery rows in samples.ndjson (and ClickHouse's deliveries table).
    const hooks: DriverHooks = {
      signal: engineAbort.signal,
      ...(scenario.results.sampleRate > 0
        ? {
            samples: { rate: scenario.results.sampleRate, runId },
            onSamples: (rows) => {
              for (const row of rows) {
                writer.appendSample(row);
                live?.sample(row);
              }
            },
          }
        : {}),
      onPoint: (point) => {
        writer.appendPoint(point);
        live?.point(point);
      },
      onEvent: (event) => {
        writer.appendEvent(event);
        live?.event(event);
      },
      onProgress: (p) => progress.update(p),
      checkAbort: thresholds.some((t) => t.abortOnFail)
        ? (metrics) => checkAbort(thresholds, metrics, (performance.now() - engineStarted) / 1000)?.reason
        : undefined,
    };
    const cpuBefore = stack.cpuSeconds();
    const result: DriverResult = await runDriver(scenario, stack, hooks);
    progress.stop();
    const cpuAfter = stack.cpuSeconds();
    const sutCpu = Object.fromEntries(
      Object.entries(cpuAfter).map(([service, s]) => [
        service,
        Math.round((s - (cpuBefore[service] ?? 0)) * 100) / 100,
      ]),
    );

    const summary: RunSummary = {
      schemaVersion: SUMMARY_SCHEMA_VERSION,
      runId,
      scenario: scenario.name,
      startedAt: result.startedAt,
      endedAt: result.endedAt,
      durationS: result.durationS,
      valid: result.valid && !crash,
      invalidReasons: crash ? [...result.invalidReasons, crash.message] : result.invalidReasons,
      aborted: crash ? { by: 'error', reason: crash.message } : result.aborted,
      thresholds: evaluateThresholds(thresholds, result.metrics, {
        percentile: percentileLookupFromHdr(result.histograms),
      }),
      metrics: result.metrics,
      errorsByCode: result.errorsByCode,
      generator: result.generator,
      timeline: result.timeline,
      ...(result.pushLedger ? { push_ledger: result.pushLedger } : {}),
      ...(Object.keys(sutCpu).length ? { sut: { cpuSeconds: sutCpu } } : {}),
    };
    await writer.writeHistograms(result.histograms);
    await writer.writeSummary(summary);
    const reportPath = options.report && scenario.results.report ? path.join(writer.dir, 'report.html') : undefined;
    await writer.writeText('summary.md', renderMarkdownSummary(summary, { reportPath }));
    await writer.writeText('junit.xml', renderJunit(summary));
    await writer.flush();
    if (live && clickhouseUrl) await finishClickHouse(live, summary, writer.dir, clickhouseUrl);
    if (reportPath) await renderRunReport(writer.dir);
    if (options.printSummary) {
      process.stdout.write(`${renderTerminalSummary(summary, { reportPath, color: Boolean(process.stdout.isTTY) })}\n`);
    }
    let exitCode: number = exitCodeFor(summary);
    if (crash) {
      for (const line of crash.logTail) log.error('run', `  ${line}`);
      exitCode = ExitCode.harnessError;
    } else if (options.signal.aborted) {
      exitCode = ExitCode.externalAbort;
    }
    return { summary, dir: writer.dir, exitCode };
  } finally {
    progress.stop();
    await live?.close(null); // a no-op when the run finished; marks an interrupted run `incomplete`
    await stack.down();
    await writer.close();
  }
}

function clickhouseTarget(option: boolean | string, stackUrl: string | undefined): string | undefined {
  if (typeof option === 'string') return option;
  return option ? stackUrl : undefined;
}

/** Closes the live writer; a run it could not write completely is loaded from its files instead. */
async function finishClickHouse(live: LiveWriter, summary: RunSummary, dir: string, url: string): Promise<void> {
  const result = await live.close(summary);
  if (result.complete) {
    log.info('results', `ClickHouse: ${result.rowsWritten} rows written live`);
    return;
  }
  try {
    const loaded = await loadRunDir(dir, url);
    log.info(
      'results',
      `ClickHouse: live writing was incomplete (${result.lastError ?? 'rows dropped'}); loaded ${loaded.rows} rows from the files`,
    );
  } catch (error) {
    log.warn(
      'results',
      `ClickHouse unavailable (${(error as Error).message}); the files are complete — load them later with \`centrifugo-bench results load ${summary.runId}\``,
    );
  }
}
