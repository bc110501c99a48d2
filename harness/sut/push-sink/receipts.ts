import { closeSync, openSync, write, writeSync } from 'node:fs';
import type { Provider } from './faults.ts';

/** One accepted push (README "Receipts"). */
export interface Receipt {
  receipt: string;
  provider: Provider;
  device: number;
  acceptedUs: number;
  pushId: string | null;
  enqueuedUs: number | null;
}

const FLUSH_BYTES = 256 * 1024;

/**
 * Appends receipts as NDJSON to one file per worker: lines are joined in memory and written every
 * `intervalMs` (or 256 KiB), one write per batch, so a receipt costs a string concatenation on the hot path.
 */
export class ReceiptWriter {
  private readonly fd: number;
  private buffer = '';
  private writing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly file: string,
    intervalMs = 200,
  ) {
    this.fd = openSync(file, 'a', 0o644);
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  add(r: Receipt): void {
    this.buffer += `{"receipt":"${r.receipt}","provider":"${r.provider}","device":${r.device},"acceptedUs":${r.acceptedUs},"pushId":${
      r.pushId === null ? 'null' : JSON.stringify(r.pushId)
    },"enqueuedUs":${r.enqueuedUs ?? 'null'}}\n`;
    if (this.buffer.length >= FLUSH_BYTES) void this.flush();
  }

  /** Resolves when everything added so far is in the file. */
  flush(): Promise<void> {
    if (this.buffer) {
      const data = this.buffer;
      this.buffer = '';
      this.writing = this.writing.then(
        () =>
          new Promise<void>((resolve) => {
            write(this.fd, data, null, 'utf8', () => resolve());
          }),
      );
    }
    return this.writing;
  }

  /** At exit: whatever is buffered, synchronously. */
  closeSync(): void {
    clearInterval(this.timer);
    if (this.buffer) writeSync(this.fd, this.buffer);
    this.buffer = '';
    closeSync(this.fd);
  }
}
