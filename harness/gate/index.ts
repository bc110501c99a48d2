/**
 * The gate: k6 thresholds over a whole run, the comparison with a baseline, the verdict and its exit
 * code, and the run's end-of-test summaries (terminal, Markdown, JUnit). Its only surface for neighbours.
 */
export {
  type BaselineComparison,
  COMPARE_DEFAULTS,
  type CompareOptions,
  compareRuns,
} from './baseline.ts';
export { percentileLookupFromHdr } from './hdr-percentiles.ts';
export { type Judgement, type JudgeOptions, judgeRun } from './judge-run.ts';
export { renderJunit } from './render/junit-report.ts';
export { renderMarkdownSummary } from './render/markdown-summary.ts';
export { renderTerminalSummary } from './render/terminal-summary.ts';
export {
  checkAbort,
  evaluateThresholds,
  type ParsedThreshold,
  ThresholdsSchema,
  thresholdsFromResults,
} from './thresholds.ts';
export { decideVerdict, exitCodeFor, type Verdict } from './verdict.ts';
