/** `report.html`: the standalone HTML report, rendered from the run's files once they are complete. */
import path from 'node:path';
import { renderRunReport } from '../../results/report/index.ts';
import type { Output, RunEnd, RunStart } from './output.ts';

export class ReportOutput implements Output {
  private dir = '';

  description(): string {
    return 'report report.html';
  }

  /** Where the report will be written in a run directory. */
  static pathIn(dir: string): string {
    return path.join(dir, 'report.html');
  }

  async start(run: RunStart): Promise<void> {
    this.dir = run.dir;
  }

  async stop(end: RunEnd | undefined): Promise<void> {
    if (end && this.dir) await renderRunReport(this.dir);
  }
}
