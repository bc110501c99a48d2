/**
 * Faults as scenario steps: each runs at its time (relative to the start of publishing) through the
 * caller's fault functions (plain functions: the engine never imports the stack) and is stamped on the
 * timeline when it starts and when it completes or fails. A failed fault is recorded, not fatal.
 */
import type { StackFaults } from '../common/stack-types.ts';
import type { FaultStep } from './workload.ts';

export type FaultAction = FaultStep['action'];

const FUNCTION_OF: Record<FaultAction, keyof StackFaults> = {
  'kill-centrifugo-node': 'killCentrifugoNode',
  'start-centrifugo-node': 'startCentrifugoNode',
  'pause-service': 'pauseService',
  'resume-service': 'resumeService',
  'restart-service': 'restartService',
};

/** What a fault acts on: 'node 1', 'redis'. */
export function faultSubject(step: FaultStep): string {
  return 'node' in step ? `node ${step.node}` : step.service;
}

export function describeFault(step: FaultStep): string {
  return `${step.action} ${'node' in step ? step.node : step.service}`;
}

/** The faults the caller cannot perform (missing functions), for validation before anything starts. */
export function missingFaultFunctions(steps: readonly FaultStep[], faults: Partial<StackFaults> | undefined): string[] {
  return [...new Set(steps.filter((s) => typeof faults?.[FUNCTION_OF[s.action]] !== 'function').map((s) => s.action))];
}

export class FaultTimeline {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly steps: readonly FaultStep[],
    private readonly faults: Partial<StackFaults>,
    private readonly stamp: (kind: 'fault' | 'note', name: string, detail?: string) => void,
    private readonly failed: (code: string) => void,
  ) {}

  start(): void {
    for (const step of this.steps) this.timers.push(setTimeout(() => this.run(step), step.at));
  }

  private run(step: FaultStep): void {
    const started = performance.now();
    this.stamp('fault', step.action, faultSubject(step));
    const fn = this.faults[FUNCTION_OF[step.action]];
    const call = async () => {
      if (!fn) throw new Error('no fault function');
      if ('node' in step) await (fn as (index: number) => Promise<void>)(step.node - 1);
      else if (step.action === 'restart-service') {
        await (fn as NonNullable<StackFaults['restartService']>)(step.service, { kill: step.kill });
      } else await (fn as (service: 'redis' | 'postgres' | 'nats') => Promise<void>)(step.service);
    };
    const promise = call().then(
      () =>
        this.stamp(
          'note',
          `${step.action} done`,
          `${describeFault(step)} in ${Math.round(performance.now() - started)} ms`,
        ),
      (error: unknown) => {
        this.failed(`fault_failed_${step.action}`);
        this.stamp('note', `${step.action} failed`, `${faultSubject(step)}: ${(error as Error).message}`);
      },
    );
    this.running.add(promise);
    promise.finally(() => this.running.delete(promise));
  }

  /** Cancels faults not yet due and waits (bounded) for running ones. */
  async stop(timeoutMs = 30_000): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    if (!this.running.size) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
