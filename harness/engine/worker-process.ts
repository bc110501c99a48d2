/**
 * The parent side of one worker process: fork (with tsx, so workers run the TypeScript sources), typed
 * messages, waiting for a reply, and a close that always ends the process — politely first, SIGKILL after
 * a grace period.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const TSX = import.meta.resolve('tsx');
/**
 * V8 flags of every worker. `--no-memory-reducer`: V8's memory reducer runs full `Mark-Compact (reduce)`
 * collections once allocation slows down (after the connect ramp, while the fleet sits idle) to hand back
 * memory a worker needs again as soon as publishing starts. Measured (`sdk-comparison.bench.ts`, 2,000 subscribers, 2 workers, 3 baseline and 4 runs
 * with the flag, interleaved): idle CPU per subscriber 6.7–7.5 µs/s with it against 8.5–10.2 without,
 * CPU per delivery within the noise (23.8–24.7 vs 23.8–27.1 CPU-s per million), idle memory per subscriber
 * unchanged (9–10 KB). Larger semi-spaces (`--min-semi-space-size=16 --max-semi-space-size=32`) measured no
 * better and cost ~25 MB RSS per process. Later flags win, so ENGINE_WORKER_EXEC_ARGV can undo this one.
 */
export const DEFAULT_EXEC_ARGV = ['--no-memory-reducer'];
/**
 * Extra Node flags for every worker, for diagnosis only (flags NODE_OPTIONS refuses, e.g.
 * `ENGINE_WORKER_EXEC_ARGV='--cpu-prof --cpu-prof-dir=/tmp/prof'` to profile the workers of a bench).
 */
const EXTRA_EXEC_ARGV = (process.env.ENGINE_WORKER_EXEC_ARGV ?? '').split(' ').filter(Boolean);

export class WorkerProcess<In extends { type: string }, Out extends { type: string }> {
  private readonly child: ChildProcess;
  private readonly listeners = new Set<(message: Out) => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private hasExited = false;

  constructor(
    readonly id: string,
    entry: URL,
  ) {
    this.child = fork(fileURLToPath(entry), [], {
      execArgv: ['--import', TSX, ...DEFAULT_EXEC_ARGV, ...EXTRA_EXEC_ARGV],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, CENTRIFUGO_BENCH_WORKER: id },
    });
    // Spawn and IPC errors of a worker that is gone: its exit is what the engine acts on.
    this.child.on('error', () => {});
    this.child.on('message', (message) => {
      for (const listener of this.listeners) listener(message as Out);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.hasExited = true;
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.hasExited;
  }

  send(message: In): void {
    // A worker can die between the check and the write (a Ctrl-C reaches the whole process group): the
    // failed write (EPIPE) goes to the callback, not to an unhandled 'error' event that would crash the
    // engine; the worker's death itself is reported by `exited`.
    if (this.child.connected) this.child.send(message, () => {});
  }

  onMessage(listener: (message: Out) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The next message of `type` (rejects on a fatal report, exit, timeout or abort). */
  waitFor<T extends Out['type']>(type: T, timeoutMs: number, signal?: AbortSignal): Promise<Extract<Out, { type: T }>> {
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        off();
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        cleanup();
        reject(signal?.reason ?? new Error('aborted'));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`worker ${this.id}: no '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onMessage((message) => {
        if (message.type === type) {
          cleanup();
          resolve(message as Extract<Out, { type: T }>);
        } else if (message.type === 'fatal') {
          cleanup();
          reject(new Error(`worker ${this.id} failed: ${(message as unknown as { message: string }).message}`));
        }
      });
      this.exited.then(({ code, signal: s }) => {
        cleanup();
        reject(new Error(`worker ${this.id} exited (code ${code}, signal ${s}) before '${type}'`));
      });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Asks the worker to close its sockets and exit; SIGKILL if it has not exited after `graceMs`. */
  async close(closeMessage: In, graceMs = 5000): Promise<void> {
    if (this.hasExited) return;
    this.send(closeMessage);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.hasExited) this.child.kill('SIGKILL');
  }
}
