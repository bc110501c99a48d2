import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SupportedProvider } from './api-schemas.ts';
import type { DeviceStore, Target } from './device-store.ts';
import type { FcmSender } from './fcm-sender.ts';
import type { SendBatch } from './notification.ts';
import { backoffMs, type Outcome, type RetryPolicy } from './outcome.ts';
import type { PushQueue, QueueEntry, Settlement } from './push-queue.ts';
import type { WebPushSender } from './webpush-sender.ts';

/**
 * A small counting semaphore: at most `limit` provider requests in flight. Waiters sit in a FIFO read by an
 * advancing head (compacted now and then), not `Array.shift()`: with tens of thousands waiting, shift's
 * O(n) copy was ~10 % of the relay's self time under a flood (issue 17).
 */
class Slots {
  private free: number;
  private waiting: (() => void)[] = [];
  private head = 0;

  constructor(limit: number) {
    this.free = limit;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (this.head === this.waiting.length) {
      this.free++;
      return;
    }
    const next = this.waiting[this.head]!;
    this.waiting[this.head++] = undefined as never;
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    next();
  }
}

/**
 * Device messages a worker keeps unsent (read from the stream, send not finished), as a multiple of its send
 * concurrency: enough that a freed slot always finds one waiting, few enough to stay small. The loop used to
 * read `readCount` entries whenever fewer than `concurrency` were held — up to 50,000 suspended sends with
 * 500-device entries — and every scavenge copied them: ~20 ms a scavenge, ~17 % of a relay worker's busy time
 * in a 300,000-push flood's profile (issue 17).
 */
const UNSENT_PER_SLOT = 2;

/** Web Push dead keys by subscription JSON: a flood sends to the same subscriptions again and again. */
const webPushDeadKeys = new Map<string, string>();
const WEBPUSH_DEAD_KEY_CACHE_SIZE = 200_000;

/** The key a dead token is remembered by: provider + FCM token, or provider + Web Push endpoint. */
export function deadKey(target: Target): string {
  if (target.p !== 'webpush') return `${target.p}:${target.k}`;
  let key = webPushDeadKeys.get(target.k);
  if (key === undefined) {
    try {
      key = `webpush:${(JSON.parse(target.k) as { endpoint: string }).endpoint}`;
    } catch {
      key = `webpush:${target.k}`;
    }
    if (webPushDeadKeys.size >= WEBPUSH_DEAD_KEY_CACHE_SIZE) webPushDeadKeys.clear();
    webPushDeadKeys.set(target.k, key);
  }
  return key;
}

export interface SendWorkerStats {
  entries: number;
  sent: number;
  delivered: number;
  failed: number;
  retried: number;
  skippedDead: number;
  /** Entries another consumer settled first (after a claim): counted once, by the first. */
  settleConflicts: number;
  devicesRemoved: number;
}

/**
 * Reads device batches from the send stream, sends each device's message, and settles the batch in one
 * atomic step (delivered / failed by reason / scheduled for retry). A token the provider called dead is
 * remembered (Redis set) before the batch is acknowledged, so no later batch sends to it; its device is
 * deleted from PostgreSQL shortly after.
 */
export class SendWorker {
  readonly stats: SendWorkerStats = {
    entries: 0,
    sent: 0,
    delivered: 0,
    failed: 0,
    retried: 0,
    skippedDead: 0,
    settleConflicts: 0,
    devicesRemoved: 0,
  };
  private running = false;
  /** Device messages read and not yet sent (or skipped): what the read loop keeps near its budget. */
  private unsent = 0;
  /** Devices per stream entry in the last read: how many entries fill the budget (unknown at first: read one). */
  private devicesPerEntry = Number.POSITIVE_INFINITY;
  private readonly unsentBudget: number;
  private readonly slots: Slots;
  private readonly active = new Set<Promise<void>>();
  private wake: (() => void) | undefined;
  private readonly deadToRemove: Record<SupportedProvider, Set<string>> = { fcm: new Set(), webpush: new Set() };
  /** Sends in flight by dead key (a settled send resolves, never rejects: errors are outcomes). */
  private readonly inFlight = new Map<string, Promise<Outcome>>();
  /**
   * Tokens this process saw die, at once — the Redis dead set learns them only when their batch settles, and
   * other processes read it from there. Bounded by the dead tokens of the run.
   */
  private readonly deadHere = new Set<string>();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly deps: {
      queue: PushQueue;
      store: DeviceStore;
      fcm?: FcmSender;
      webpush?: WebPushSender;
      retry: RetryPolicy;
      concurrency: number;
      readCount: number;
      claimIdleMs: number;
      log: (message: string) => void;
    },
  ) {
    this.slots = new Slots(deps.concurrency);
    this.unsentBudget = deps.concurrency * UNSENT_PER_SLOT;
  }

  start(): Promise<void> {
    this.running = true;
    this.timers.push(setInterval(() => void this.flushDeadDevices(), 250));
    return this.loop();
  }

  private async loop(): Promise<void> {
    const reader = this.deps.queue.reader('sends');
    let lastClaim = Date.now();
    while (this.running) {
      if (this.unsent >= this.unsentBudget) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      let entries: QueueEntry[];
      try {
        const room = Math.ceil((this.unsentBudget - this.unsent) / this.devicesPerEntry);
        const count = Math.max(1, Math.min(this.deps.readCount, room));
        entries = await reader.read(count, 500);
        if (Date.now() - lastClaim > Math.max(1000, this.deps.claimIdleMs / 4)) {
          lastClaim = Date.now();
          entries.push(...(await reader.claim(this.deps.claimIdleMs, this.deps.readCount)));
        }
      } catch (error) {
        if (!this.running) break;
        this.deps.log(`send stream read failed: ${(error as Error).message}; retrying`);
        await sleep(500);
        continue;
      }
      // One dead-token lookup for the whole read, not one per entry.
      let batches: SendBatch[];
      let keys: string[][];
      let dead: boolean[];
      try {
        batches = entries.map((entry) => JSON.parse(entry.m) as SendBatch);
        keys = batches.map((b) => b.tg.map(deadKey));
        const deviceKeys = keys.flat();
        dead = await this.deps.queue.isDead(deviceKeys);
        if (entries.length > 0) this.devicesPerEntry = Math.max(1, deviceKeys.length / entries.length);
      } catch (error) {
        this.deps.log(`dead-token lookup failed: ${(error as Error).message}; entries stay pending for a claim`);
        continue;
      }
      let offset = 0;
      for (const [i, entry] of entries.entries()) {
        const batch = batches[i]!;
        const deadFlags = dead.slice(offset, offset + batch.tg.length);
        offset += batch.tg.length;
        const task = this.process(entry, batch, keys[i]!, deadFlags).catch((error: Error) =>
          this.deps.log(`batch ${entry.id} of push ${entry.uid} left for a retry after: ${error.message}`),
        );
        this.active.add(task);
        void task.finally(() => this.active.delete(task));
      }
    }
  }

  private async send(target: Target, batch: SendBatch): Promise<Outcome> {
    if (target.p === 'fcm') {
      if (!this.deps.fcm || batch.n.f === undefined)
        return { kind: 'failed', reason: 'provider_not_configured', dead: false };
      return this.deps.fcm.send(target.k, batch.n.f);
    }
    if (!this.deps.webpush || batch.n.w === undefined) {
      return { kind: 'failed', reason: 'provider_not_configured', dead: false };
    }
    return this.deps.webpush.send(target.k, batch.n.w);
  }

  private async process(entry: QueueEntry, batch: SendBatch, keys: string[], dead: boolean[]): Promise<void> {
    // Each device message leaves `unsent` once: when its send ends or it is skipped — or, if the batch fails
    // midway, with all the batch has left.
    let left = batch.tg.length;
    this.unsent += left;
    const sentOrSkipped = () => {
      if (left === 0) return;
      left--;
      this.doneSending(1);
    };
    this.stats.entries++;
    try {
      const settlement: Settlement = { delivered: 0, failed: new Map(), retries: [], deadKeys: [] };
      const fail = (reason: string) => settlement.failed.set(reason, (settlement.failed.get(reason) ?? 0) + 1);
      const deadTargets: Target[] = [];
      if (batch.x && Date.now() > batch.x) {
        for (const _ of batch.tg) {
          fail('expired');
          sentOrSkipped();
        }
      } else {
        await Promise.all(
          batch.tg.map(async (target, i) => {
            try {
              const key = keys[i]!;
              // One send per token at a time in this process: a push to many devices puts the same token in
              // concurrent batches, and a second send racing the first's 404 / 410 would hit a dead token again.
              for (let previous = this.inFlight.get(key); previous; previous = this.inFlight.get(key)) {
                await previous.catch(() => undefined);
              }
              if (dead[i] || this.deadHere.has(key)) {
                this.stats.skippedDead++;
                fail('dead_token');
                return;
              }
              const sending = this.slots.run(() => this.send(target, batch));
              this.inFlight.set(key, sending);
              let outcome: Outcome;
              try {
                outcome = await sending;
              } finally {
                if (this.inFlight.get(key) === sending) this.inFlight.delete(key);
              }
              if (outcome.kind === 'failed' && outcome.dead) this.deadHere.add(key);
              this.stats.sent++;
              if (outcome.kind === 'delivered') {
                settlement.delivered++;
              } else if (outcome.kind === 'failed') {
                fail(outcome.reason);
                if (outcome.dead) {
                  settlement.deadKeys.push(keys[i]!);
                  deadTargets.push(target);
                }
              } else {
                const attempts = batch.a + 1;
                if (attempts >= this.deps.retry.maxAttempts) {
                  fail('retries_exhausted');
                  return;
                }
                const dueMs = Date.now() + backoffMs(this.deps.retry, batch.a, outcome.cause, outcome.retryAfterMs);
                if (batch.x && dueMs > batch.x) {
                  fail('expired');
                  return;
                }
                const retryBatch: SendBatch = { tg: [target], n: batch.n, x: batch.x, a: attempts };
                settlement.retries.push({
                  dueMs,
                  member: JSON.stringify({
                    u: entry.uid,
                    s: entry.scope,
                    m: JSON.stringify(retryBatch),
                    r: randomBytes(6).toString('base64url'),
                  }),
                });
              }
            } finally {
              sentOrSkipped();
            }
          }),
        );
      }
      const settled = await this.settle(entry, settlement);
      if (!settled) {
        this.stats.settleConflicts++;
        return;
      }
      this.stats.delivered += settlement.delivered;
      for (const n of settlement.failed.values()) this.stats.failed += n;
      this.stats.retried += settlement.retries.length;
      for (const target of deadTargets) {
        this.deadToRemove[target.p].add(deadKey(target).slice(target.p.length + 1));
      }
    } finally {
      if (left > 0) this.doneSending(left);
      left = 0;
    }
  }

  /** `n` device messages are sent or skipped: the read loop may read more if it is waiting for room. */
  private doneSending(n: number): void {
    this.unsent -= n;
    if (this.unsent >= this.unsentBudget) return;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Settles, retrying Redis failures for a while; if it still fails the entry stays pending and is claimed later. */
  private async settle(entry: QueueEntry, settlement: Settlement): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.deps.queue.settle(entry, settlement);
      } catch (error) {
        if (attempt >= 20) throw error;
        await sleep(Math.min(2000, 50 * 2 ** attempt));
      }
    }
  }

  private async flushDeadDevices(): Promise<void> {
    for (const provider of ['fcm', 'webpush'] as const) {
      const keys = [...this.deadToRemove[provider]];
      if (!keys.length) continue;
      this.deadToRemove[provider].clear();
      try {
        this.stats.devicesRemoved += await this.deps.store.removeByTokenKeys(provider, keys);
      } catch (error) {
        // The dead set already stops every send to these tokens; try the delete again later.
        for (const k of keys) this.deadToRemove[provider].add(k);
        this.deps.log(`removing ${keys.length} dead ${provider} devices failed: ${(error as Error).message}`);
      }
    }
  }

  /** Stops reading, lets in-flight batches settle (bounded), flushes device removals. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.running = false;
    this.wake?.();
    await Promise.race([Promise.allSettled([...this.active]), sleep(timeoutMs)]);
    for (const t of this.timers) clearInterval(t);
    await this.flushDeadDevices();
  }
}
