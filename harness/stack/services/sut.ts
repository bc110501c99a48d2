import type { StackEndpoints, StackSecrets } from '../../common/stack-types.ts';
import type { ServiceProcess } from '../local/managed-process.ts';

/**
 * Where a service of the reference system under test runs: the local runtime (a Node process) or the
 * containers runtime (the same command in the harness image, host network, the run's folders mounted at
 * their own paths). Either way the service sees the same files, ports and URLs.
 */
export interface SutRuntime {
  readonly logsDir: string;
  readonly signal: AbortSignal | undefined;
  dir(name: string): string;
  port(what: string, explicit?: number): Promise<number>;
  /** Starts `command args` (always `process.execPath` and a script of this repository). */
  spawn(spec: {
    name: string;
    command: string;
    args: string[];
    cwd?: string;
    env?: Record<string, string>;
    stopTimeoutMs?: number;
  }): ServiceProcess;
}

/**
 * What a service of the reference system under test (chat app, push relay, push sink — code in
 * harness/sut/) gets to start: the runtime, the endpoints and secrets of what is already up, and its own
 * options from the stack spec (validated by its service file).
 */
export interface SutStartContext {
  runtime: SutRuntime;
  endpoints: Partial<StackEndpoints>;
  secrets: StackSecrets;
  options: Record<string, unknown>;
}

export interface StartedSut {
  url: string;
  version: string;
  process: ServiceProcess;
}
