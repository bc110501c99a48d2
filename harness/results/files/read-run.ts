/**
 * Reads a run directory back for the gate, the ClickHouse loader and the report. Small files are read
 * whole; `timeseries.ndjson` is streamed line by line (`readTimeseries`), so an hour-long run costs no
 * more memory than one point. A torn last line (a run killed mid-write) is skipped, not fatal.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { UserError } from '../../common/errors.ts';
import { log } from '../../common/log.ts';
import {
  type RunInfo,
  type RunSummary,
  SUMMARY_SCHEMA_VERSION,
  type TimelineEvent,
  type TimeseriesPoint,
} from '../../common/summary-types.ts';
import { parseOrExplain } from '../../common/validation.ts';
import { RUN_FILES } from './run-files.ts';
import { RunSummarySchema, TimelineEventSchema } from './summary-schema.ts';

export interface RunFiles {
  dir: string;
  summary: RunSummary;
  /** null when run.json is missing (a run copied without it still gates). */
  info: RunInfo | null;
  timeline: TimelineEvent[];
  /** Whole-run HDR histograms by metric (compressed base64, µs); empty when there are none. */
  histograms: Record<string, string>;
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Throws a UserError (exit 2) when `dir` is not a run directory or its summary.json is unreadable. */
export async function readRun(dir: string): Promise<RunFiles> {
  const resolved = path.resolve(dir);
  const info = await stat(resolved).catch(() => null);
  if (!info?.isDirectory()) throw new UserError(`no run directory at ${dir}`);

  const summaryFile = path.join(resolved, RUN_FILES.summary);
  const summaryText = await readText(summaryFile);
  if (summaryText === null) {
    throw new UserError(`${dir} has no ${RUN_FILES.summary}: not a run directory, or the run did not finish`);
  }
  const raw = parseJson(summaryText, summaryFile) as { schemaVersion?: unknown };
  if (typeof raw?.schemaVersion === 'number' && raw.schemaVersion > SUMMARY_SCHEMA_VERSION) {
    throw new UserError(
      `${summaryFile} has schemaVersion ${raw.schemaVersion}; this harness reads ${SUMMARY_SCHEMA_VERSION} — update centrifugo-bench`,
    );
  }
  const summary = parseOrExplain(RunSummarySchema, raw, summaryFile) as RunSummary;

  const runInfoText = await readText(path.join(resolved, RUN_FILES.runInfo));
  const runInfo = runInfoText === null ? null : (parseJson(runInfoText, RUN_FILES.runInfo) as RunInfo);

  return {
    dir: resolved,
    summary,
    info: runInfo,
    timeline: await readTimeline(resolved),
    histograms: await readHistograms(resolved),
  };
}

async function readHistograms(dir: string): Promise<Record<string, string>> {
  const folder = path.join(dir, RUN_FILES.histograms);
  const names = await readdir(folder).catch(() => [] as string[]);
  const out: Record<string, string> = {};
  for (const name of names.sort()) {
    if (!name.endsWith('.hdr')) continue;
    out[name.slice(0, -'.hdr'.length)] = (await readFile(path.join(folder, name), 'utf8')).trim();
  }
  return out;
}

/** Lines of an ndjson file as parsed values; unparseable lines are skipped with one warning. */
async function* readNdjson(file: string): AsyncGenerator<unknown> {
  const exists = await stat(file).catch(() => null);
  if (!exists) return;
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  let bad = 0;
  for await (const line of lines) {
    if (!line.trim()) continue;
    try {
      yield JSON.parse(line);
    } catch {
      bad++;
    }
  }
  if (bad)
    log.warn('results', `${file}: skipped ${bad} unreadable line${bad > 1 ? 's' : ''} (a run stopped mid-write?)`);
}

export async function readTimeline(dir: string): Promise<TimelineEvent[]> {
  const events: TimelineEvent[] = [];
  for await (const value of readNdjson(path.join(dir, RUN_FILES.timeline))) {
    const parsed = TimelineEventSchema.safeParse(value);
    if (parsed.success) events.push(parsed.data as TimelineEvent);
  }
  return events;
}

/** Streams timeseries.ndjson point by point, in file order (= time order). */
export async function* readTimeseries(dir: string): AsyncGenerator<TimeseriesPoint> {
  for await (const value of readNdjson(path.join(dir, RUN_FILES.timeseries))) {
    const point = value as Partial<TimeseriesPoint> | null;
    if (point && typeof point.t === 'number') yield point as TimeseriesPoint;
  }
}
