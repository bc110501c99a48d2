import { log } from '../../common/log.ts';

/**
 * Cleanup steps run in reverse order of registration (last started, first stopped), each at most once.
 * `run()` is idempotent and never throws: a failing step is logged and the next one still runs, because
 * leaving a database running is worse than reporting two errors.
 */
export class Teardown {
  private readonly steps: { label: string; fn: () => Promise<void> | void }[] = [];
  private running: Promise<void> | undefined;

  add(label: string, fn: () => Promise<void> | void): void {
    this.steps.push({ label, fn });
  }

  get size(): number {
    return this.steps.length;
  }

  run(): Promise<void> {
    this.running ??= this.runSteps();
    return this.running;
  }

  private async runSteps(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.fn();
      } catch (error) {
        log.warn('teardown', `${step.label}: ${(error as Error).message}`);
      }
    }
  }
}
