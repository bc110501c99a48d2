/**
 * The standalone HTML reports: one run (`renderRunReport` → `<runDir>/report.html`) and a comparison of
 * several runs (`renderComparisonReport` → HTML string). Self-contained, offline, printable.
 */
export type { RunDirContents } from './load-run-dir.ts';
export { loadRunDir } from './load-run-dir.ts';
export type {
  ComparisonCell,
  ComparisonCellLabels,
  ComparisonMatrix,
  ComparisonMetricName,
  RenderComparisonOptions,
} from './render-comparison-report.ts';
export { renderComparisonReport } from './render-comparison-report.ts';
export type { RenderedReport, RenderRunReportOptions } from './render-run-report.ts';
export { renderRunReport } from './render-run-report.ts';
