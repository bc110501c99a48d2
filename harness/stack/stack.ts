import type { StackEndpoints, StackFaults, StackInfo, StackSecrets } from '../common/stack-types.ts';

/** A running stack, whichever provider runs it. `down()` is idempotent and always safe to call. */
export interface Stack extends StackInfo {
  secrets: StackSecrets;
  faults: StackFaults;
  /** Where service logs go (`results/<run-id>/logs`); empty for an external stack. */
  logsDir: string;
  /** The generated Centrifugo config (contains secrets: never print it unredacted). */
  centrifugoConfig?: Record<string, unknown>;
  /** Resolves (never rejects) if a service the harness started dies on its own; never for external stacks. */
  crashed: Promise<{ service: string; message: string; logTail: string[] }>;
  /** Process ids of the services this stack started (local provider), for diagnostics and tests. */
  processIds(): Record<string, number>;
  /** CPU seconds each service has used so far (local provider; {} when unknown), to set the load generator's
   *  cost beside the system's. */
  cpuSeconds(): Record<string, number>;
  down(): Promise<void>;
}

export interface StackStartOptions {
  runId: string;
  logsDir: string;
  signal?: AbortSignal;
}

/** Moments where a caller (a broadcast mode, a seeder) must act while the stack starts. */
export interface StackHooks {
  /** Infrastructure is up, Centrifugo is not: create what its consumers read (streams, tables). */
  beforeCentrifugo?(endpoints: Omit<StackEndpoints, 'centrifugo'>): Promise<void>;
}
