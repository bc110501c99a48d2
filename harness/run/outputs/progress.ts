/**
 * The live line during a run: phase, connections, msgs/s, p99 so far. On a terminal it rewrites one
 * line in place; otherwise (CI logs) it prints a line every 10 seconds so logs stay readable.
 */
import { formatCount, formatMs, formatOffset, formatPerSecond } from '../../common/format.ts';
import type { DriverProgress } from '../../engine/index.ts';
import type { Output, RunEnd } from './output.ts';

export class ProgressOutput implements Output {
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly started = performance.now();
  private lastPrinted = 0;
  private lastLine = '';

  description(): string {
    return `progress ${this.tty ? 'on this terminal' : 'every 10 s on stderr'}`;
  }

  async start(): Promise<void> {}

  addProgress(p: DriverProgress): void {
    const elapsed = (performance.now() - this.started) / 1000;
    const line =
      `${formatOffset(elapsed).padStart(7)}  ${p.phase.padEnd(10)} connections ${formatCount(p.connected)}/${formatCount(p.target)}  ` +
      `published ${formatPerSecond(p.publishedPerSec)}  delivered ${formatPerSecond(p.deliveredPerSec)}  p99 ${formatMs(p.p99Ms)}`;
    this.lastLine = line;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${line}`);
    } else if (elapsed - this.lastPrinted >= 10) {
      this.lastPrinted = elapsed;
      process.stderr.write(`${line}\n`);
    }
  }

  /** Ends the live line so what is printed next starts on a fresh line. */
  async stop(_end?: RunEnd): Promise<void> {
    if (this.tty && this.lastLine) process.stderr.write('\n');
    this.lastLine = '';
  }
}
