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
/** Room past the flush mark for ordinary lines; a longer line gets a buffer of its own (add). */
const CHUNK_BYTES = FLUSH_BYTES + 8 * 1024;

/**
 * Appends receipts as NDJSON to one file per worker: lines are encoded into an off-heap buffer and written every
 * `intervalMs` (or 256 KiB), one write per batch. Encoded at once, a receipt's line is garbage the moment it is
 * added; joined into a string until the next flush (as before), up to 200 ms of lines survived young-generation
 * collections and were copied and promoted (issue 17: the sink's GC under the million-push flood).
 */
export class ReceiptWriter {
  private readonly fd: number;
  private chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private used = 0;
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
    const line = `{"receipt":"${r.receipt}","provider":"${r.provider}","device":${r.device},"acceptedUs":${r.acceptedUs},"pushId":${
      r.pushId === null ? 'null' : JSON.stringify(r.pushId)
    },"enqueuedUs":${r.enqueuedUs ?? 'null'}}\n`;
    // UTF-8 takes at most 3 bytes per UTF-16 unit; a line that could not fit goes after a flush.
    if (this.used + line.length * 3 > this.chunk.length) {
      void this.flush();
      if (line.length * 3 > this.chunk.length) this.chunk = Buffer.allocUnsafeSlow(line.length * 3);
    }
    this.used += this.chunk.write(line, this.used, 'utf8');
    if (this.used >= FLUSH_BYTES) void this.flush();
  }

  /** Resolves when everything added so far is in the file. */
  flush(): Promise<void> {
    if (this.used > 0) {
      // The filled buffer belongs to its write from here on; later lines go to a fresh one.
      const data = this.chunk;
      const length = this.used;
      this.chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
      this.used = 0;
      this.writing = this.writing.then(() => writeAll(this.fd, data, length));
    }
    return this.writing;
  }

  /** At exit: whatever is buffered, synchronously. */
  closeSync(): void {
    clearInterval(this.timer);
    if (this.used > 0) writeFullySync(this.fd, this.chunk, this.used);
    this.used = 0;
    closeSync(this.fd);
  }
}

/** fs.write may write less than asked (a full disk, a signal): the rest goes after it. */
function writeAll(fd: number, data: Buffer, length: number, offset = 0): Promise<void> {
  return new Promise<void>((resolve) => {
    write(fd, data, offset, length - offset, null, (error, written) => {
      if (error || offset + written >= length) resolve();
      else resolve(writeAll(fd, data, length, offset + written));
    });
  });
}

function writeFullySync(fd: number, data: Buffer, length: number): void {
  let offset = 0;
  while (offset < length) offset += writeSync(fd, data, offset, length - offset);
}
