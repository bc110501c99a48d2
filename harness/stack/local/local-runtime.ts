import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log } from '../../common/log.ts';
import { ManagedProcess, type ProcessSpec } from './managed-process.ts';
import { freePort, requireFreePort } from './ports.ts';
import { Reaper } from './reaper.ts';
import { Teardown } from './teardown.ts';

export interface ServiceCrash {
  service: string;
  message: string;
  logTail: string[];
}

/**
 * What a service definition needs to run as a local process: a per-run temporary folder, a logs folder,
 * free ports, and a spawn that registers every process for teardown (and with the reaper, in case the
 * harness itself dies). One runtime per stack; `teardown.run()` undoes everything it did.
 */
export class LocalRuntime {
  readonly runId: string;
  readonly tmpDir: string;
  readonly logsDir: string;
  readonly teardown = new Teardown();
  readonly signal: AbortSignal | undefined;
  private readonly reaper: Reaper;
  private readonly started = new Map<string, ManagedProcess>();
  private reportCrash: (crash: ServiceCrash) => void = () => {};
  /** Resolves when a service exits without being asked to: the run cannot go on without it. */
  readonly crashed: Promise<ServiceCrash> = new Promise((resolve) => {
    this.reportCrash = resolve;
  });

  constructor(options: { runId: string; logsDir: string; signal?: AbortSignal }) {
    this.runId = options.runId;
    this.logsDir = options.logsDir;
    this.signal = options.signal;
    mkdirSync(this.logsDir, { recursive: true });
    this.reaper = Reaper.start();
    this.tmpDir = mkdtempSync(path.join(os.tmpdir(), `centrifugo-bench-${options.runId}-`));
    // Traversable (not listable) by other users: PostgreSQL runs as an unprivileged user below it.
    chmodSync(this.tmpDir, 0o711);
    this.reaper.watchDir(this.tmpDir);
    this.teardown.add('remove temporary folder', () => {
      rmSync(this.tmpDir, { recursive: true, force: true });
      this.reaper.forgetDir(this.tmpDir);
    });
  }

  /** A folder inside the run's temporary folder, optionally owned by another user. */
  dir(name: string, owner?: { uid: number; gid: number }): string {
    const dir = path.join(this.tmpDir, name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (owner) chownSync(dir, owner.uid, owner.gid);
    return dir;
  }

  /** A free loopback port, or the one asked for after checking it is free (exit 2 when taken). */
  port(what: string, explicit?: number): Promise<number> {
    return explicit ? requireFreePort(explicit, what) : freePort();
  }

  logFile(name: string): string {
    return path.join(this.logsDir, `${name}.log`);
  }

  /** Starts a process whose stop is registered in the teardown; `stopTimeoutMs` bounds a graceful stop. */
  spawn(
    spec: Omit<ProcessSpec, 'logFile'> & {
      logName?: string;
      stopTimeoutMs?: number;
      stopSignal?: NodeJS.Signals;
      /**
       * false: the stack goes on without this service when it dies (a warning, not a crash) — for
       * services the system under test does not use, such as ClickHouse, which only holds results.
       */
      vital?: boolean;
    },
  ): ManagedProcess {
    this.signal?.throwIfAborted();
    const process = ManagedProcess.start({ ...spec, logFile: this.logFile(spec.logName ?? spec.name) });
    if (process.pid > 0) this.reaper.watchGroup(process.pid);
    this.started.set(spec.name, process);
    void process.exited.then((status) => {
      if (process.stopRequested) return;
      const how = status.signal ?? `code ${status.code}`;
      if (spec.vital === false) {
        log.warn(
          'stack',
          `${spec.name} exited unexpectedly (${how}); nothing under test uses it, so the stack goes on`,
        );
      } else {
        this.reportCrash({
          service: spec.name,
          message: `${spec.name} exited unexpectedly (${how})`,
          logTail: process.logTail(),
        });
      }
    });
    this.teardown.add(`stop ${spec.name}`, async () => {
      await process.stop({ signal: spec.stopSignal, timeoutMs: spec.stopTimeoutMs ?? 10_000 });
      this.reaper.forgetGroup(process.pid);
    });
    return process;
  }

  /** A folder outside the run's temporary folder that goes with the run: at teardown, or by the reaper. */
  removeWithRun(dir: string): void {
    this.reaper.watchDir(dir);
    this.teardown.add(`remove ${dir}`, () => {
      rmSync(dir, { recursive: true, force: true });
      this.reaper.forgetDir(dir);
    });
  }

  /** A service not started by `spawn` (a container) died on its own: the stack reports it like a process crash. */
  reportServiceCrash(crash: ServiceCrash): void {
    this.reportCrash(crash);
  }

  /** Containers labelled `label` on the engine at `socket` belong to this run: the reaper removes them if the
   *  harness dies; `forgetContainers` once the teardown has removed them itself. */
  watchContainers(socket: string, label: string): void {
    this.reaper.watchContainers(socket, label);
  }

  forgetContainers(label: string): void {
    this.reaper.forgetContainers(label);
  }

  /** The latest process started under each service name, running or not. */
  processes(): ManagedProcess[] {
    return [...this.started.values()];
  }

  /** Runs a short-lived command to completion (initdb, …); its output goes to the service's log. */
  async runToCompletion(spec: Omit<ProcessSpec, 'logFile'> & { logName?: string }): Promise<ManagedProcess> {
    const process = ManagedProcess.start({ ...spec, logFile: this.logFile(spec.logName ?? spec.name) });
    if (process.pid > 0) this.reaper.watchGroup(process.pid);
    await process.exited;
    this.reaper.forgetGroup(process.pid);
    return process;
  }

  /** Stops every process and removes the temporary folder; then releases the reaper. */
  async close(): Promise<void> {
    await this.teardown.run();
    this.reaper.close();
    log.info('stack', 'stopped: every process ended, temporary files removed');
  }
}
