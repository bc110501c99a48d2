import { setTimeout as sleep } from 'node:timers/promises';
import type { SupportedProvider } from './api-schemas.ts';
import type { DeviceStore, Target } from './device-store.ts';
import type { FanoutJob, SendBatch } from './notification.ts';
import type { PushQueue, QueueEntry } from './push-queue.ts';

/** Splits devices into send batches per provider (PRO's tokens_batch_size: FCM 500, Web Push 100). */
export function batchTargets(targets: Target[], batchSize: Record<SupportedProvider, number>): Target[][] {
  const out: Target[][] = [];
  const open: Partial<Record<SupportedProvider, Target[]>> = {};
  for (const t of targets) {
    let batch = open[t.p];
    if (!batch) {
      batch = [];
      open[t.p] = batch;
      out.push(batch);
    }
    batch.push(t);
    if (batch.length >= batchSize[t.p]) delete open[t.p];
  }
  return out;
}

/**
 * Resolves filter recipients (device ids, users, topics, providers, platforms) page by page from
 * PostgreSQL into send batches. Each page is one atomic step with a compare-and-set on the push's cursor, so
 * a job resumed by another worker after a crash neither skips nor repeats devices. Pauses while the send
 * stream is over `maxBacklog` entries: a million-device topic does not flood Redis' memory.
 */
export class FanoutWorker {
  private running = false;
  private readonly active = new Set<Promise<void>>();
  jobsDone = 0;

  constructor(
    private readonly deps: {
      queue: PushQueue;
      store: DeviceStore;
      pageSize: number;
      batchSize: Record<SupportedProvider, number>;
      claimIdleMs: number;
      concurrency: number;
      maxBacklog: number;
      log: (message: string) => void;
    },
  ) {}

  start(): Promise<void> {
    this.running = true;
    return this.loop();
  }

  private async loop(): Promise<void> {
    const reader = this.deps.queue.reader('jobs');
    let lastClaim = Date.now();
    while (this.running) {
      if (this.active.size >= this.deps.concurrency) {
        await Promise.race(this.active);
        continue;
      }
      let entries: QueueEntry[];
      try {
        entries = await reader.read(this.deps.concurrency - this.active.size, 500);
        if (Date.now() - lastClaim > Math.max(1000, this.deps.claimIdleMs / 4)) {
          lastClaim = Date.now();
          entries.push(...(await reader.claim(this.deps.claimIdleMs, 10)));
        }
      } catch (error) {
        if (!this.running) break;
        this.deps.log(`job stream read failed: ${(error as Error).message}; retrying`);
        await sleep(500);
        continue;
      }
      for (const entry of entries) {
        const task = this.fanout(entry).catch((error: Error) =>
          this.deps.log(`fan-out of push ${entry.uid} paused (resumes on claim): ${error.message}`),
        );
        this.active.add(task);
        void task.finally(() => this.active.delete(task));
      }
    }
  }

  private async fanout(entry: QueueEntry): Promise<void> {
    const job = JSON.parse(entry.m) as FanoutJob;
    let cursor = (await this.deps.queue.cursorOf(entry.uid)) ?? '';
    while (this.running) {
      while ((await this.deps.queue.backlog()) > this.deps.maxBacklog && this.running) await sleep(50);
      const page = job.tg ?? (await this.deps.store.resolvePage(job.f, job.pv, cursor, this.deps.pageSize));
      const done = job.tg !== undefined || page.length < this.deps.pageSize;
      const next = job.tg ? 'raw' : page.length ? page[page.length - 1]!.d! : cursor;
      const entries = batchTargets(page, this.deps.batchSize).map((tg) =>
        JSON.stringify({ tg, n: job.n, x: job.x, a: 0 } satisfies SendBatch),
      );
      const result = await this.deps.queue.fanoutStep({
        entry,
        prevCursor: cursor,
        nextCursor: next,
        done,
        targets: page.length,
        entries,
      });
      if (result !== 1) return; // another worker owns this job now, or it is finished
      if (done) {
        this.jobsDone++;
        return;
      }
      cursor = next;
    }
  }

  async stop(timeoutMs = 5000): Promise<void> {
    this.running = false;
    await Promise.race([Promise.allSettled([...this.active]), sleep(timeoutMs)]);
  }
}
