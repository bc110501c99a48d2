import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { resultsRoot } from '../../common/run-id.ts';
import { renderRunReport } from '../../results/report/index.ts';

/** A run id names `<results root>/<id>`; anything that looks like a path (or exists as one) is a path. */
export function resolveRunDir(runIdOrDir: string, root = resultsRoot()): string {
  const looksLikePath = runIdOrDir.includes('/') || runIdOrDir.includes(path.sep) || runIdOrDir.startsWith('.');
  if (looksLikePath || existsSync(runIdOrDir)) return path.resolve(runIdOrDir);
  const dir = path.join(root, runIdOrDir);
  if (!existsSync(dir)) {
    throw new UserError(
      `no run "${runIdOrDir}" under ${root}; pass a run id from that folder or the path of a run directory (set CENTRIFUGO_BENCH_RESULTS to change the folder)`,
    );
  }
  return dir;
}

/** `centrifugo-bench report <run-id|run-dir>`: (re)writes the run's report.html and prints its path. */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write report.html for a finished run: one self-contained page that opens offline')
    .argument('<run>', 'a run id (a folder under the results root) or the path of a run directory')
    .option('--max-points <n>', 'points per chart above which series are downsampled', '600')
    .action(async (run: string, options: { maxPoints: string }) => {
      const maxPoints = Number(options.maxPoints);
      if (!Number.isInteger(maxPoints) || maxPoints < 10) {
        throw new UserError(`--max-points must be an integer ≥ 10, got "${options.maxPoints}"`);
      }
      const report = await renderRunReport(resolveRunDir(run), { maxPoints });
      process.stdout.write(`${report.file}\n`);
    });
}
