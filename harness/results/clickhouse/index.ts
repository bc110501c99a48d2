/**
 * Results in ClickHouse: the public surface. See ./README.md.
 *
 *   const live = createLiveWriter(url, runInfo);   // at run start; never blocks or throws
 *   live.point(p); live.event(e); live.sample(s);  // every second / as they happen
 *   const r = await live.close(summary);           // at run end
 *   if (!r.complete) await loadRunDir(runDir, url); // backfill from the files (or later: `results load`)
 */
export {
  type BaselineEvent,
  type BaselineEventToWrite,
  type BaselineHistoryInClickHouse,
  type BaselineRecord,
  baselineHistoriesInClickHouse,
  writeBaselineEvents,
} from './baseline-rows.ts';
export {
  CLIENT_SETTINGS,
  connectResults,
  DEFAULT_DATABASE,
  parseClickHouseUrl,
  type ResultsDb,
  type ResultsTarget,
} from './connection.ts';
export { heatmapBucketMsSql, histQuantileMsSql } from './histogram-buckets.ts';
export { listRuns, type RunListing } from './list-runs.ts';
export { createLiveWriter, type LiveWriter, type LiveWriterOptions, type LiveWriterResult } from './live-writer.ts';
export { deleteRunRows, type LoadOptions, type LoadResult, loadRunDir, writeMergedRunRow } from './load-run.ts';
export { broadcastModeOf } from './rows.ts';
export { RUN_FILES, resolveRunDir } from './run-files.ts';
export { MIGRATIONS, SCHEMA_VERSION, schemaColumns, type TableName } from './schema.ts';
