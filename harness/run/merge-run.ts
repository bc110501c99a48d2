/**
 * `results merge <run-id>` (and `coordinate --merge` at the end): the shards' folders `results/<run-id>/shards/<i>/`
 * become one run folder `results/<run-id>/` with the same files a single-process run has — summary.json,
 * histograms, timeseries, timeline, summary.md, junit.xml, report.html — and the same verdict:
 *
 * - histograms merged bucket by bucket, percentiles read from the merged histogram (never averaged);
 * - counters summed: every shard accounted for what *every* shard published to its own subscribers (the
 *   coordinator exchanged the published streams before the drain), so the shards' expected / delivered / lost /
 *   duplicated counts partition the whole run's and add up exactly;
 * - push ledgers summed field by field (each shard's counts only its own pushes: its devices, its ledger scope),
 *   so the merged ledger is the whole flood's — enqueued = delivered + failed + queued, unaccounted summed;
 * - per-second points keyed by the coordinator's second (each shard's wall clock corrected by its offset);
 * - thresholds evaluated on the merged run, with the scenario's thresholds as recorded in run.json;
 * - a shard that is missing or did not finish makes the merged run invalid, naming it; so do the shards' own
 *   invalid reasons (clock uncertainty over the bound, an abort).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ScenarioSchema } from '../../scenarios/lib/scenario.ts';
import { UserError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import { resultsRoot } from '../common/run-id.ts';
import {
  type PushLedger,
  type RunInfo,
  type RunSummary,
  SUMMARY_SCHEMA_VERSION,
  type TimelineEvent,
  type TimeseriesPoint,
} from '../common/summary-types.ts';
import { parseOrExplain } from '../common/validation.ts';
import { clockErrorUs } from '../distributed/index.ts';
import { decideVerdict, evaluateThresholds, percentileLookupFromHdr, type Verdict } from '../gate/index.ts';
import { writeMergedRunRow } from '../results/clickhouse/index.ts';
import {
  mergeShardHistograms,
  mergeShardMetrics,
  mergeShardPoints,
  type RunFiles,
  readRun,
  readTimeseries,
  sumShardCounters,
} from '../results/files/index.ts';
import { FilesOutput } from './outputs/files.ts';
import { ReportOutput } from './outputs/index.ts';
import { SHARD_RECORD_FILE, type ShardRecord } from './shard-session.ts';

export interface MergeOutcome {
  dir: string;
  summary: RunSummary;
  verdict: Verdict;
  reportPath?: string;
  exitCode: number;
  /** Shard indexes merged (those that finished). */
  merged: number[];
}

interface FinishedShard {
  index: number;
  files: RunFiles;
  record: ShardRecord;
}

export async function mergeShardRuns(
  runId: string,
  options: {
    root?: string;
    report?: boolean;
    deadShards?: readonly number[];
    abortReason?: string;
    /** Where the merged run's row and thresholds go (the shards' own rows are theirs: `run --out clickhouse`). */
    clickhouseUrl?: string;
  } = {},
): Promise<MergeOutcome> {
  const dir = path.join(options.root ?? resultsRoot(), runId);
  const shardsDir = path.join(dir, 'shards');
  if (!existsSync(shardsDir)) throw new UserError(`no sharded run ${runId}: ${shardsDir} does not exist`);
  const finished: FinishedShard[] = [];
  const invalidReasons: string[] = [];
  let shardCount = 0;
  for (const entry of readdirSync(shardsDir).filter((name) => /^\d+$/.test(name))) {
    const shardDir = path.join(shardsDir, entry);
    const record = readShardRecord(shardDir);
    if (record) shardCount = Math.max(shardCount, record.shard.count);
    if (!record || !existsSync(path.join(shardDir, 'summary.json'))) {
      invalidReasons.push(
        `shard ${entry} did not finish (no ${record ? 'summary.json' : SHARD_RECORD_FILE}): its numbers are missing`,
      );
      continue;
    }
    finished.push({ index: Number(entry), files: await readRun(shardDir), record });
  }
  finished.sort((a, b) => a.index - b.index);
  if (!finished.length) throw new UserError(`no shard of run ${runId} finished: nothing to merge in ${shardsDir}`);
  checkSameRun(finished);
  for (let index = 0; index < shardCount; index++) {
    const present = existsSync(path.join(shardsDir, String(index)));
    if (!present) {
      invalidReasons.push(
        `shard ${index} wrote nothing (no shards/${index}/ here: it never finished, or could not send its folder): its numbers are missing`,
      );
    }
  }
  for (const index of options.deadShards ?? []) {
    const reason = `shard ${index} died mid-run: the merged run is invalid`;
    if (!invalidReasons.some((r) => r.startsWith(`shard ${index} `))) invalidReasons.push(reason);
  }
  if (options.abortReason) invalidReasons.push(`distributed run aborted: ${options.abortReason}`);
  for (const { index, files } of finished) {
    for (const reason of files.summary.invalidReasons) {
      invalidReasons.push(reason.startsWith(`shard ${index}`) ? reason : `shard ${index}: ${reason}`);
    }
  }

  const info = finished[0]!.files.info;
  if (!info)
    throw new UserError(`shard ${finished[0]!.index} of run ${runId} has no run.json: cannot tell its scenario`);
  const scenario = parseOrExplain(ScenarioSchema, info.scenario.config, `scenario of run ${runId} (run.json)`);
  const summaries = finished.map((shard) => shard.files.summary);
  const startedAt = summaries.map((s) => s.startedAt).sort()[0]!;
  const endedAt = summaries
    .map((s) => s.endedAt)
    .sort()
    .at(-1)!;
  const durationS = Math.max(...summaries.map((s) => s.durationS));
  const histograms = mergeShardHistograms(finished.map((shard) => shard.files.histograms));
  const metrics = mergeShardMetrics(
    summaries.map((s) => s.metrics),
    histograms,
    durationS,
  );
  const points = await mergeTimeseries(finished);
  fixGaugeExtremes(metrics, points);
  const timeline = mergeTimelines(finished);
  const aborted =
    summaries.find((s) => s.aborted)?.aborted ??
    (options.abortReason ? { by: 'distributed run', reason: options.abortReason } : null);
  const thresholds = scenario.thresholds;
  const pushLedger = mergePushLedgers(summaries.map((s) => s.push_ledger));
  const summary: RunSummary = {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    runId,
    scenario: scenario.name,
    startedAt,
    endedAt,
    durationS,
    valid: invalidReasons.length === 0,
    invalidReasons,
    aborted,
    thresholds: evaluateThresholds([...thresholds], metrics, { percentile: percentileLookupFromHdr(histograms) }),
    metrics,
    errorsByCode: sumShardCounters(summaries.map((s) => s.errorsByCode)),
    generator: {
      workers: summaries.reduce((total, s) => total + s.generator.workers, 0),
      cpuSeconds: Math.round(summaries.reduce((total, s) => total + s.generator.cpuSeconds, 0) * 100) / 100,
      peakRssBytes: summaries.reduce((total, s) => total + s.generator.peakRssBytes, 0),
      maxEventLoopDelayP99Ms: Math.max(...summaries.map((s) => s.generator.maxEventLoopDelayP99Ms)),
    },
    timeline,
    ...(pushLedger ? { push_ledger: pushLedger } : {}),
    clock: clockSummary(finished),
  };
  const verdict = decideVerdict(summary);
  const reportPath = options.report === false ? undefined : ReportOutput.pathIn(dir);
  const mergedInfo: RunInfo = { ...info, runId, startedAt };
  const outputs = [new FilesOutput(dir), ...(reportPath ? [new ReportOutput()] : [])];
  for (const output of outputs) await output.start({ dir, info: mergedInfo });
  const files = outputs[0] as FilesOutput;
  for (const event of timeline) files.addEvent(event);
  for (const point of points) files.addPoint(point);
  for (const output of outputs) await output.stop({ summary, verdict, histograms, reportPath });
  if (options.clickhouseUrl) await writeMergedRowOrWarn(dir, runId, options.clickhouseUrl);
  return {
    dir,
    summary,
    verdict,
    reportPath,
    exitCode: verdict.exitCode,
    merged: finished.map((shard) => shard.index),
  };
}

/** Files first: ClickHouse being down costs one warning, never the merged run (`results load` copies it later). */
async function writeMergedRowOrWarn(dir: string, runId: string, url: string): Promise<void> {
  try {
    const written = await writeMergedRunRow(dir, url);
    log.info(
      'results',
      `ClickHouse: merged run ${runId} written (runs row + ${written.rows.thresholds ?? 0} thresholds; the shards' rows are their own)`,
    );
  } catch (error) {
    log.warn(
      'results',
      `ClickHouse unavailable (${(error as Error).message}); the merged files are complete — load the run and its shards later with \`centrifugo-bench results load ${runId}\``,
    );
  }
}

/** The shards' push ledgers summed field by field (failures by reason); undefined when no shard has one. */
export function mergePushLedgers(ledgers: readonly (PushLedger | undefined)[]): PushLedger | undefined {
  const present = ledgers.filter((ledger): ledger is PushLedger => ledger !== undefined);
  if (!present.length) return undefined;
  const total = (field: 'enqueued' | 'delivered' | 'queued' | 'unaccounted') =>
    present.reduce((sum, ledger) => sum + ledger[field], 0);
  return {
    enqueued: total('enqueued'),
    delivered: total('delivered'),
    failed: sumShardCounters(present.map((ledger) => ledger.failed)),
    queued: total('queued'),
    unaccounted: total('unaccounted'),
  };
}

function readShardRecord(shardDir: string): ShardRecord | undefined {
  const file = path.join(shardDir, SHARD_RECORD_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ShardRecord;
  } catch (error) {
    throw new UserError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Shards of one run ran one scenario with one harness: anything else is not one run. */
function checkSameRun(shards: readonly FinishedShard[]): void {
  const first = shards[0]!.record;
  for (const { index, record } of shards) {
    if (record.scenarioHash !== first.scenarioHash) {
      throw new UserError(
        `shard ${index} ran another scenario: hash ${record.scenarioHash}, shard ${shards[0]!.index} ${first.scenarioHash}`,
      );
    }
    if (record.shard.count !== first.shard.count) {
      throw new UserError(
        `shard ${index} was one of ${record.shard.count} shards, shard ${shards[0]!.index} of ${first.shard.count}`,
      );
    }
  }
}

/**
 * Each shard's seconds, keyed by the coordinator's second: a shard's second t began at its t0 (its engine's
 * start, on its wall clock) + t; corrected by the shard's offset to the coordinator, the same instant lands in
 * the same second on every shard. Two points of one shard in one second (a late tick) are merged, keeping the
 * later levels, so a gauge is never counted twice.
 */
async function mergeTimeseries(shards: readonly FinishedShard[]): Promise<TimeseriesPoint[]> {
  const bySecond = new Map<number, TimeseriesPoint[]>();
  for (const { files, record } of shards) {
    // The engine's start on the shard's run clock, then in the coordinator's time base.
    const t0RunClockUs = Date.parse(files.summary.startedAt) * 1000 - record.clock.epochMinusMonoUs;
    const t0CoordinatorUs = t0RunClockUs + record.clock.testSkewUs + record.clock.before.offsetUs;
    const shift = Math.round(t0CoordinatorUs / 1_000_000);
    const own = new Map<number, TimeseriesPoint>();
    for await (const point of readTimeseries(files.dir)) {
      const second = shift + point.t;
      const earlier = own.get(second);
      own.set(
        second,
        earlier ? { ...mergeShardPoints(point.t, point.ts, [earlier, point]), gauges: point.gauges } : point,
      );
    }
    for (const [second, point] of own) bySecond.set(second, [...(bySecond.get(second) ?? []), point]);
  }
  const seconds = [...bySecond.keys()].sort((a, b) => a - b);
  const first = seconds[0] ?? 0;
  return seconds.map((second) =>
    // Wall time: the first shard's reading of that second (the coordinator's base is a monotonic clock).
    mergeShardPoints(second - first, bySecond.get(second)![0]!.ts, bySecond.get(second)!),
  );
}

/** A gauge's min and max are those of the fleet-wide level, second by second, not sums of the shards' extremes. */
function fixGaugeExtremes(metrics: RunSummary['metrics'], points: readonly TimeseriesPoint[]): void {
  for (const [name, metric] of Object.entries(metrics)) {
    if (metric.type !== 'gauge') continue;
    const levels = points.map((point) => point.gauges[name]).filter((v): v is number => v !== undefined);
    if (!levels.length) continue;
    metric.min = Math.min(...levels);
    metric.max = Math.max(...levels);
  }
}

/**
 * How exact the merged run's latencies are across machines: the worst of every shard's (and push sink's) clock
 * estimate, as clockInvalidReason judges it (uncertainty before or after, or drift between them), beside latency
 * in the summary and the report.
 */
function clockSummary(shards: readonly FinishedShard[]): NonNullable<RunSummary['clock']> {
  let worstUs = 0;
  let boundUs = 0;
  for (const { record } of shards) {
    boundUs = Math.max(boundUs, record.clock.maxUncertaintyUs);
    const estimates = [record.clock, ...(record.clock.sink ? [record.clock.sink] : [])];
    // Not measured after (a shard that lost the coordinator, a sink gone mid-run): the before estimate alone.
    for (const { before, after } of estimates) worstUs = Math.max(worstUs, clockErrorUs(before, after ?? before));
  }
  return { shards: shards.length, uncertaintyMs: Math.round(worstUs) / 1000, boundMs: boundUs / 1000 };
}

/** Every shard's timeline, in time order, each event naming its shard. */
function mergeTimelines(shards: readonly FinishedShard[]): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  for (const { index, files, record } of shards) {
    const clock = record.clock;
    events.push({
      at: 0,
      kind: 'note',
      name: `shard ${index} clock`,
      detail:
        `offset ${(clock.before.offsetUs / 1000).toFixed(3)} ms ± ${(clock.before.uncertaintyUs / 1000).toFixed(3)} ms before` +
        (clock.after
          ? `, ${(clock.after.offsetUs / 1000).toFixed(3)} ms ± ${(clock.after.uncertaintyUs / 1000).toFixed(3)} ms after`
          : '') +
        ` (bound ${(clock.maxUncertaintyUs / 1000).toFixed(1)} ms)` +
        (clock.sink
          ? `; push sink offset ${(clock.sink.before.offsetUs / 1000).toFixed(3)} ms ± ` +
            `${(clock.sink.before.uncertaintyUs / 1000).toFixed(3)} ms through this shard`
          : ''),
    });
    for (const event of files.timeline) events.push({ ...event, name: `shard ${index}: ${event.name}` });
  }
  return events.sort((a, b) => a.at - b.at);
}
