/**
 * A file the json and csv outputs write line by line while the run goes on, like k6's: through a stream (the
 * run is never held in memory), gzipped when its name ends in `.gz`, flushed and closed on stop — also when
 * the run did not finish. Writing never blocks the run and never fails it: a write error (disk full) is
 * logged once and the rest of the run's lines are dropped; the run's own files stay the complete record.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { UserError } from '../../common/errors.ts';
import { log, redact } from '../../common/log.ts';

export class LineFile {
  private failure: Error | undefined;

  private constructor(
    readonly file: string,
    /** What lines are written to: the gzip stream, or the file itself. */
    private readonly head: Writable,
    /** Settles when the file is closed, or rejects on the first write error. */
    private readonly done: Promise<void>,
  ) {
    this.done.catch((error: Error) => {
      if (this.failure) return;
      this.failure = error;
      log.warn('results', `${file}: ${error.message}; the rest of the run is not written to it`);
    });
  }

  /** Creates (or truncates) `file` for `output` (json, csv); one that cannot be created is exit 2, before any load. */
  static async open(file: string, output: string): Promise<LineFile> {
    const stream = createWriteStream(file);
    try {
      await once(stream, 'open');
    } catch (error) {
      throw new UserError(`--out ${output}: cannot write ${file}: ${(error as Error).message}`);
    }
    if (!file.endsWith('.gz')) return new LineFile(file, stream, finished(stream));
    const gzip = createGzip();
    return new LineFile(file, gzip, pipeline(gzip, stream));
  }

  append(text: string): void {
    // Backpressure is ignored on purpose, as for the run's own files: a few lines a second cannot outrun a
    // disk, and making the engine's collector wait would distort the measurement.
    // Like the run's own files, nothing reaches the disk without passing through redact().
    if (!this.failure) this.head.write(redact(text));
  }

  /** Ends the file (the gzip trailer included) and waits until it is on disk. */
  async close(): Promise<void> {
    if (!this.head.writableEnded) this.head.end();
    await this.done.catch(() => {});
  }
}

/**
 * The absolute path `--out <output>=<file>` writes to, checked when the run is planned, before anything
 * starts: a file is named, relative to the working directory (like k6), in a folder that exists, and is not a
 * folder itself. Exit 2 otherwise.
 */
export function outputFilePath(output: string, file: string | undefined): string {
  if (!file) throw new UserError(`--out ${output}: name the file, e.g. --out ${output}=results/run.${output}`);
  const resolved = path.resolve(file);
  const folder = path.dirname(resolved);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new UserError(`--out ${output}=${file}: folder ${path.dirname(file)} does not exist`);
  }
  if (existsSync(resolved) && statSync(resolved).isDirectory()) {
    throw new UserError(`--out ${output}=${file}: is a folder; name a file in it`);
  }
  return resolved;
}

/** How the plan lines name an output's file: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
