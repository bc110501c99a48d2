/** The run's files: the only surface of harness/results/files for its neighbours. */

export {
  mergeShardHistograms,
  mergeShardMetrics,
  mergeShardPoints,
  sumShardCounters,
  trendValuesOf,
} from './merge-shards.ts';
export { type RunFiles, readRun, readTimeline, readTimeseries } from './read-run.ts';
export { histogramFileName, RUN_FILES, redactedJson } from './run-files.ts';
export { gatherRunInfo, gitState, harnessVersion, hostInfo, type RunInfoInput } from './run-info.ts';
export { RunWriter, type RunWriterOptions } from './run-writer.ts';
export { RunSummarySchema } from './summary-schema.ts';
