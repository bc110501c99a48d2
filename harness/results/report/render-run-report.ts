import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { harnessVersion } from '../files/index.ts';
import { loadRunDir } from './load-run-dir.ts';
import { type PrepareOptions, prepareCharts } from './prepare-run-report.ts';
import { runReportHtml } from './run-report-html.ts';

export interface RenderRunReportOptions extends PrepareOptions {
  /** Stamped in the footer (default: now). */
  generatedAt?: Date;
}

export interface RenderedReport {
  /** Absolute path of the written `report.html`. */
  file: string;
  bytes: number;
  /** Per-second points read, and seconds per drawn bucket (1 = drawn raw). */
  points: number;
  bucketSeconds: number;
}

/**
 * Reads a run directory and writes `<runDir>/report.html`: one self-contained page (uPlot, styles and
 * data inlined) that opens offline. Throws UserError when the directory or one of its files is missing
 * or malformed. Written to a temporary name first so a reader never sees half a report.
 */
export async function renderRunReport(runDir: string, options: RenderRunReportOptions = {}): Promise<RenderedReport> {
  const dir = path.resolve(runDir);
  const contents = await loadRunDir(dir);
  const payload = prepareCharts(contents.summary, contents.points, contents.timeline, options);
  const page = runReportHtml(contents, payload, {
    generatedAt: options.generatedAt ?? new Date(),
    harnessVersion: harnessVersion(),
  });
  const file = path.join(dir, 'report.html');
  const partial = `${file}.partial`;
  writeFileSync(partial, page);
  renameSync(partial, file);
  return { file, bytes: Buffer.byteLength(page), points: payload.pointsIn, bucketSeconds: payload.bucketSeconds };
}
