import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { UserError } from '../../common/errors.ts';
import type { RunInfo, RunSummary } from '../../common/summary-types.ts';
import { parseOrExplain } from '../../common/validation.ts';

/** The files of a run folder this module reads (written by harness/results/files). */
export const RUN_FILES = {
  info: 'run.json',
  summary: 'summary.json',
  timeseries: 'timeseries.ndjson',
  timeline: 'timeline.ndjson',
  samples: 'samples.ndjson',
} as const;

// Only what loading needs is checked; everything else in run.json passes through as written.
const RunInfoSchema = z
  .object({
    runId: z.string().min(1),
    startedAt: z.string().min(1),
    scenario: z.object({ name: z.string(), file: z.string().default('') }).passthrough(),
  })
  .passthrough();

const RunSummarySchema = z
  .object({
    runId: z.string(),
    startedAt: z.string(),
    endedAt: z.string(),
    valid: z.boolean(),
    thresholds: z.array(z.object({ metric: z.string(), ok: z.boolean() }).passthrough()),
    metrics: z.record(z.string(), z.unknown()),
  })
  .passthrough();

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

export function readRunInfo(dir: string): RunInfo {
  const file = path.join(dir, RUN_FILES.info);
  if (!existsSync(file)) throw new UserError(`${dir} is not a run folder: it has no ${RUN_FILES.info}`);
  return parseOrExplain(RunInfoSchema, readJson(file), file) as unknown as RunInfo;
}

/** summary.json, or null when the run did not get to write one (it crashed or is still running). */
export function readRunSummary(dir: string): RunSummary | null {
  const file = path.join(dir, RUN_FILES.summary);
  if (!existsSync(file)) return null;
  return parseOrExplain(RunSummarySchema, readJson(file), file) as unknown as RunSummary;
}

/**
 * The objects of an NDJSON file, one per line, streamed (a long run's timeseries does not fit in
 * memory comfortably). A line that does not parse — typically the last one of a run that was killed
 * mid-write — is skipped and reported through `onBadLine`. A missing file yields nothing.
 */
export async function* readNdjson<T>(
  file: string,
  onBadLine: (line: number, error: unknown) => void = () => {},
): AsyncGenerator<T> {
  if (!existsSync(file)) return;
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (!line.trim()) continue;
    try {
      yield JSON.parse(line) as T;
    } catch (error) {
      onBadLine(n, error);
    }
  }
}

/** `<run-id>` (under the results root) or a folder path → the run folder. */
export function resolveRunDir(runIdOrDir: string, resultsRoot: string): string {
  const candidates = [path.resolve(runIdOrDir), path.join(resultsRoot, runIdOrDir)];
  for (const dir of candidates) {
    if (existsSync(path.join(dir, RUN_FILES.info))) return dir;
  }
  throw new UserError(
    `no run "${runIdOrDir}": neither ${candidates[0]} nor ${candidates[1]} has a ${RUN_FILES.info}; ` +
      '`centrifugo-bench results list` shows the runs on disk',
  );
}

/** Run folders directly under the results root (those with a run.json). */
export function listRunDirs(resultsRoot: string): string[] {
  if (!existsSync(resultsRoot)) return [];
  return readdirSync(resultsRoot)
    .filter((name) => !name.startsWith('.'))
    .map((name) => path.join(resultsRoot, name))
    .filter((dir) => {
      try {
        return statSync(dir).isDirectory() && existsSync(path.join(dir, RUN_FILES.info));
      } catch {
        return false;
      }
    })
    .sort();
}
