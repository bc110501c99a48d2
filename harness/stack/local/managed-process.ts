import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessSpec {
  /** Service name, used in messages and as the log file's name. */
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Inherited variables whose names match are not passed on (they would change the service's config). */
  dropInheritedEnv?: RegExp;
  cwd?: string;
  /** Run as this user (PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
  /** stdout and stderr are appended here. */
  logFile: string;
}

/**
 * What readiness checks and crash reports need of a running service, whatever runs it: a local process
 * (ManagedProcess) or a container (containers/container-service.ts).
 */
export interface ServiceProcess {
  readonly name: string;
  readonly logFile: string;
  readonly running: boolean;
  readonly status: ExitStatus | undefined;
  logTail(lines?: number): string[];
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * One external program started by the harness, in a process group of its own: a Ctrl-C aimed at the
 * harness does not reach it directly, and `stop()` / the reaper signal the whole group, so helper
 * processes a server forks (PostgreSQL's backends) go with it.
 */
export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;
  /** Set by `stop()`: an exit after it is expected, any other exit is a crash. */
  stopRequested = false;

  private constructor(spec: ProcessSpec, pid: number, exited: Promise<ExitStatus>) {
    this.name = spec.name;
    this.pid = pid;
    this.logFile = spec.logFile;
    this.exited = exited.then((status) => {
      this.exitStatus = status;
      return status;
    });
  }

  static start(spec: ProcessSpec): ManagedProcess {
    const logFd = openSync(spec.logFile, 'a', 0o600);
    try {
      const child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: { ...inheritedEnv(spec.dropInheritedEnv), ...spec.env },
        detached: true,
        stdio: ['ignore', logFd, logFd],
        uid: spec.uid,
        gid: spec.gid,
      });
      const exited = new Promise<ExitStatus>((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
        child.once('error', (error) => {
          // ENOENT and friends: the program could not start at all. Recorded in its log for the tail.
          closeSync(openSync(spec.logFile, 'a'));
          resolve({ code: 127, signal: null });
          spawnErrors.set(spec.logFile, error.message);
        });
      });
      // Not unref'd: awaiting `exited` (initdb, a stop) must keep the event loop alive.
      if (child.pid === undefined) {
        return new ManagedProcess(spec, -1, exited);
      }
      return new ManagedProcess(spec, child.pid, exited);
    } finally {
      closeSync(logFd);
    }
  }

  get running(): boolean {
    return this.exitStatus === undefined && this.pid > 0;
  }

  get status(): ExitStatus | undefined {
    return this.exitStatus;
  }

  /** Sends a signal to the whole process group. */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // Already gone: nothing to signal.
    }
  }

  /** SIGTERM (or `signal`), then SIGKILL after `timeoutMs`. Resolves when the process has exited. */
  async stop(options: { signal?: NodeJS.Signals; timeoutMs?: number } = {}): Promise<ExitStatus> {
    this.stopRequested = true;
    if (!this.running) return this.exitStatus ?? { code: null, signal: null };
    this.signal(options.signal ?? 'SIGTERM');
    const timedOut = Symbol('timeout');
    const result = await Promise.race([
      this.exited,
      sleep(options.timeoutMs ?? 10_000, undefined, { ref: false }).then(() => timedOut),
    ]);
    if (result === timedOut) {
      this.signal('SIGKILL');
      return this.exited;
    }
    // The group leader is gone; make sure no child it forked outlives it.
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {}
    return result as ExitStatus;
  }

  /** The last lines of the process's log, for error messages. */
  logTail(lines = 15): string[] {
    let text = '';
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {}
    const spawnError = spawnErrors.get(this.logFile);
    if (spawnError) text += `\n${spawnError}`;
    return text.trimEnd().split('\n').slice(-lines).filter(Boolean);
  }
}

const spawnErrors = new Map<string, string>();

function inheritedEnv(drop: RegExp | undefined): NodeJS.ProcessEnv {
  if (!drop) return process.env;
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !drop.test(name)));
}
