import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The harness side of `reaper-process.mjs`: registers process groups and folders so that they are
 * cleaned up even when this process dies without running its teardown (SIGKILL, OOM, a crash).
 */
export class Reaper {
  private readonly child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.child = child;
  }

  static start(): Reaper {
    const script = fileURLToPath(new URL('./reaper-process.mjs', import.meta.url));
    const child = spawn(process.execPath, [script], {
      detached: true, // own process group: a Ctrl-C aimed at the harness must not kill the reaper first
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.unref();
    // The pipe must not keep the harness alive either; it only has to close when the harness dies.
    (child.stdin as unknown as { unref(): void }).unref();
    child.stdin?.on('error', () => {});
    return new Reaper(child);
  }

  private send(message: Record<string, unknown>): void {
    if (this.child.stdin?.writable) this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  watchGroup(pgid: number): void {
    this.send({ group: pgid });
  }

  forgetGroup(pgid: number): void {
    this.send({ ungroup: pgid });
  }

  watchDir(dir: string): void {
    this.send({ dir });
  }

  forgetDir(dir: string): void {
    this.send({ undir: dir });
  }

  /** Containers, networks and volumes carrying `label` (`key=value`) on the engine API at `socket`. */
  watchContainers(socket: string, label: string): void {
    this.send({ containers: { socket, label } });
  }

  forgetContainers(label: string): void {
    this.send({ uncontainers: label });
  }

  /** Everything registered has been cleaned up by the caller: let the reaper exit. */
  close(): void {
    this.child.stdin?.end();
  }
}
