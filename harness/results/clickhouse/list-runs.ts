import { connectResults, type ResultsTarget } from './connection.ts';
import { broadcastModeOf, endedStatus, verdictOf } from './rows.ts';
import { listRunDirs, readRunInfo, readRunSummary } from './run-files.ts';

export interface RunListing {
  runId: string;
  scenario: string;
  mode: string;
  startedAt: string;
  status: string;
  verdict: string;
  /** The run folder, when the run is on disk. */
  dir: string | null;
  inClickHouse: boolean;
  /** How ClickHouse got it: `live` (written during the run) or `files` (loaded). */
  source: string | null;
}

interface RunsRow {
  run_id: string;
  scenario: string;
  mode: string;
  started_us: number;
  status: string;
  verdict: string;
  source: string;
}

/** Runs in ClickHouse (the newest version of each `runs` row). */
export async function runsInClickHouse(target: ResultsTarget, limit = 1000): Promise<RunsRow[]> {
  const db = await connectResults(target);
  try {
    const result = await db.client.query({
      query:
        `SELECT run_id, scenario, mode, started_us, status, verdict, source FROM ${db.table('runs')} FINAL ` +
        `ORDER BY started_us DESC LIMIT ${Math.max(1, Math.floor(limit))}`,
      format: 'JSONEachRow',
    });
    return (await result.json()) as RunsRow[];
  } finally {
    await db.close();
  }
}

/**
 * Every run on disk under `resultsRoot` and, when a ClickHouse target is given, every run in it —
 * merged by run id, newest first. ClickHouse being unreachable is reported, not thrown: the disk
 * listing still comes back.
 */
export async function listRuns(
  resultsRoot: string,
  target?: ResultsTarget,
): Promise<{ runs: RunListing[]; clickhouseError: string | null }> {
  const byId = new Map<string, RunListing>();
  for (const dir of listRunDirs(resultsRoot)) {
    try {
      const info = readRunInfo(dir);
      const summary = readRunSummary(dir);
      const status = endedStatus(summary);
      byId.set(info.runId, {
        runId: info.runId,
        scenario: info.scenario.name,
        mode: broadcastModeOf(info),
        startedAt: info.startedAt,
        status,
        verdict: verdictOf(summary, status),
        dir,
        inClickHouse: false,
        source: null,
      });
    } catch {
      // A folder with an unreadable run.json is not a run to list.
    }
  }
  let clickhouseError: string | null = null;
  if (target) {
    try {
      for (const row of await runsInClickHouse(target)) {
        const onDisk = byId.get(row.run_id);
        byId.set(row.run_id, {
          runId: row.run_id,
          scenario: row.scenario,
          mode: row.mode,
          startedAt: onDisk?.startedAt ?? new Date(Number(row.started_us) / 1000).toISOString(),
          status: onDisk?.status ?? row.status,
          verdict: onDisk?.verdict ?? row.verdict,
          dir: onDisk?.dir ?? null,
          inClickHouse: true,
          source: row.source,
        });
      }
    } catch (error) {
      clickhouseError = (error as Error).message;
    }
  }
  const runs = [...byId.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return { runs, clickhouseError };
}
