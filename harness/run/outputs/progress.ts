import type { EngineProgress } from '../engine/index.ts';

/**
 * The live line during a run: phase, connections, msgs/s, p99 so far. On a terminal it rewrites one
 * line in place; otherwise (CI logs) it prints a line every 10 seconds so logs stay readable.
 */
export class ProgressLine {
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly started = performance.now();
  private lastPrinted = 0;
  private lastLine = '';

  update(p: EngineProgress): void {
    const elapsed = (performance.now() - this.started) / 1000;
    const p99 = p.p99Ms === null ? '—' : `${p.p99Ms.toFixed(1)} ms`;
    const line =
      `${elapsed.toFixed(0).padStart(4)}s  ${p.phase.padEnd(10)} connections ${p.connected}/${p.target}  ` +
      `published ${Math.round(p.publishedPerSec)}/s  delivered ${Math.round(p.deliveredPerSec)}/s  p99 ${p99}`;
    this.lastLine = line;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${line}`);
    } else if (elapsed - this.lastPrinted >= 10) {
      this.lastPrinted = elapsed;
      process.stderr.write(`${line}\n`);
    }
  }

  /** Ends the live line so the next output starts on a fresh line. */
  stop(): void {
    if (this.tty && this.lastLine) process.stderr.write('\n');
    this.lastLine = '';
  }
}
