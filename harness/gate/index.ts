/**
 * The gate: k6 thresholds over a whole run, comparisons of runs (k per side, run-level statistics,
 * pass / regression / inconclusive), baselines with history, verdicts and their exit codes, and the
 * end-of-test summaries (terminal, Markdown, JUnit). Its only surface for neighbours.
 */

export {
  type ClickHouseAgreement,
  compareInspectionWithClickHouse,
  compareListingsWithClickHouse,
  copyBaselineToClickHouse,
  inspectBaselineInClickHouse,
} from './baselines/clickhouse-copy.ts';
export {
  type HistoryChange,
  inspectBaseline,
  MIN_HISTORY_FOR_CHANGES,
} from './baselines/history-changes.ts';
export {
  type BaselineEntry,
  checkComparable,
  DEFAULT_BASELINES_DIR,
  listBaselines,
  loadBaseline,
  promoteEntry,
  type StoredBaseline,
  saveBaseline,
} from './baselines/store.ts';
export {
  COMPARISON_DEFAULTS,
  type ComparisonOptions,
  compareRunValues,
  judgeShift,
  type MetricComparison,
  type RunComparison,
} from './compare-runs.ts';
export { percentileLookupFromHdr } from './hdr-percentiles.ts';
export { type BaselineJudgement, type BaselineJudgeOptions, judgeAgainstBaseline } from './judge-comparison.ts';
export { type Judgement, judgeRun } from './judge-run.ts';
export {
  renderComparisonJunit,
  renderComparisonMarkdown,
  renderComparisonTerminal,
} from './render/comparison-summary.ts';
export { renderJunit } from './render/junit-report.ts';
export { renderMarkdownSummary } from './render/markdown-summary.ts';
export { renderTerminalSummary } from './render/terminal-summary.ts';
export { RUN_METRICS, type RunMetricSpec, type RunValues, readRunValues, runValuesOf } from './run-values.ts';
export { pairedShift, type ShiftInterval, twoSampleShift } from './statistics/rank-intervals.ts';
export {
  checkAbort,
  evaluateThresholds,
  type ParsedThreshold,
  ThresholdsSchema,
  thresholdsFromResults,
} from './thresholds.ts';
export { decideComparisonVerdict, decideVerdict, exitCodeFor, type Verdict } from './verdict.ts';
