import type { StackEndpoints, StackSecrets } from '../../common/stack-types.ts';
import type { LocalRuntime } from '../local/local-runtime.ts';
import type { ManagedProcess } from '../local/managed-process.ts';

/**
 * What a service of the reference system under test (chat app, push relay, push sink — code in
 * harness/sut/) gets to start as a local process: the runtime, the endpoints and secrets of what is
 * already up, and its own options from the stack spec (validated by its service file).
 */
export interface SutStartContext {
  runtime: LocalRuntime;
  endpoints: Partial<StackEndpoints>;
  secrets: StackSecrets;
  options: Record<string, unknown>;
}

export interface StartedSut {
  url: string;
  version: string;
  process: ManagedProcess;
}
