/**
 * Reads a run directory for the report through harness/results/files (the same reader as the gate:
 * summary.json checked by its schema and schemaVersion, timeseries streamed, a torn last line skipped).
 * On top of that it checks what the report itself relies on — `run.json` fields and each point's shape —
 * so a malformed file is one UserError (exit 2) naming the file and field, not a crash in the page.
 * Only summary.json is required: without run.json the header says so, without a time series the page
 * keeps its tables, and an absent or empty timeline.ndjson falls back to the summary's copy.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { RunInfo, RunSummary, TimelineEvent, TimeseriesPoint } from '../../common/summary-types.ts';
import { parseOrExplain } from '../../common/validation.ts';
import { RUN_FILES, readRun, readTimeseries } from '../files/index.ts';

const finite = z.number().refine(Number.isFinite, 'expected a finite number');

const trendValues = z.object({
  count: finite,
  avg: finite,
  min: finite,
  med: finite,
  p90: finite,
  p95: finite,
  p99: finite,
  p999: finite,
  max: finite,
});

const runInfoSchema = z.looseObject({
  schemaVersion: z.literal(1),
  runId: z.string(),
  scenario: z.looseObject({
    name: z.string(),
    file: z.string(),
    description: z.string().optional(),
    config: z.unknown(),
  }),
  startedAt: z.string(),
  git: z.object({ commit: z.string().nullable(), dirty: z.boolean().nullable() }),
  host: z.object({
    hostname: z.string(),
    platform: z.string(),
    arch: z.string(),
    cpus: finite,
    cpuModel: z.string(),
    memoryBytes: finite,
  }),
  node: z.string(),
  harnessVersion: z.string(),
  stack: z.looseObject({ provider: z.string(), engine: z.string(), nodes: finite }),
  versions: z.record(z.string(), z.string()),
});

/** `hdr` is not listed, so zod strips it: the report never needs the histograms and they are large. */
const timeseriesPoint = z.object({
  t: finite,
  ts: z.string(),
  trends: z.record(z.string(), trendValues),
  counters: z.record(z.string(), finite),
  gauges: z.record(z.string(), finite),
  generator: z.object({ cpu: finite, eventLoopDelayP99Ms: finite, rssBytes: finite }),
});

export interface RunDirContents {
  runDir: string;
  /** null when the directory has no run.json. */
  run: RunInfo | null;
  summary: RunSummary;
  /** Sorted by `t`; empty when the run has no `timeseries.ndjson`. */
  points: TimeseriesPoint[];
  /** From `timeline.ndjson`, else (absent or empty) the summary's timeline; sorted by `at`. */
  timeline: TimelineEvent[];
  /** Optional files that were absent, for a note on the page. */
  missing: string[];
}

export async function loadRunDir(runDir: string): Promise<RunDirContents> {
  const files = await readRun(runDir);
  const dir = files.dir;
  const runFile = path.join(dir, RUN_FILES.runInfo);
  const run = files.info === null ? null : (parseOrExplain(runInfoSchema, files.info, runFile) as RunInfo);
  const missing: string[] = [];
  if (!run) missing.push(RUN_FILES.runInfo);

  const seriesFile = path.join(dir, RUN_FILES.timeseries);
  const points: TimeseriesPoint[] = [];
  if (existsSync(seriesFile)) {
    for await (const point of readTimeseries(dir)) {
      points.push(parseOrExplain(timeseriesPoint, point, `${seriesFile} (point t=${point.t})`));
    }
    points.sort((a, b) => a.t - b.t);
  } else {
    missing.push(RUN_FILES.timeseries);
  }

  const timeline = files.timeline.length > 0 ? [...files.timeline] : [...files.summary.timeline];
  timeline.sort((a, b) => a.at - b.at);

  return { runDir: dir, run, summary: files.summary, points, timeline, missing };
}
