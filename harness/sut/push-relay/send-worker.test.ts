import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeviceStore } from './device-store.ts';
import type { FcmSender } from './fcm-sender.ts';
import type { SendBatch } from './notification.ts';
import type { Outcome } from './outcome.ts';
import type { PushQueue, QueueEntry, Settlement } from './push-queue.ts';
import { SendWorker } from './send-worker.ts';

/**
 * The send stream in memory: one entry per list of FCM tokens. Counts what the worker holds — device messages
 * read and not yet answered by the provider (whose fake lowers `seen.held`) — at its highest.
 */
function fakeQueue(entries: string[][]) {
  const stream = entries.map((tokens, e) => {
    const batch: SendBatch = { tg: tokens.map((k) => ({ p: 'fcm' as const, k })), n: { f: '{}' }, x: 0, a: 0 };
    const entry: QueueEntry = { id: `${e}-0`, uid: `push-${e}`, scope: 'all', m: JSON.stringify(batch) };
    return { entry, devices: tokens.length };
  });
  const seen = { held: 0, maxHeld: 0, reads: [] as number[], delivered: 0, settled: 0 };
  const queue = {
    reader: () => ({
      read: async (count: number) => {
        seen.reads.push(count);
        const taken = stream.splice(0, count);
        for (const t of taken) seen.held += t.devices;
        seen.maxHeld = Math.max(seen.maxHeld, seen.held);
        if (taken.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        return taken.map((t) => t.entry);
      },
      claim: async () => [],
    }),
    isDead: async (keys: string[]) => keys.map(() => false),
    settle: async (_entry: QueueEntry, settlement: Settlement) => {
      seen.delivered += settlement.delivered;
      seen.settled++;
      return true;
    },
  };
  return { seen, queue: queue as unknown as PushQueue, entries: entries.length };
}

/** Runs a worker over the whole fake stream and stops it once every entry is settled. */
async function runWorker(
  { queue, seen, entries }: ReturnType<typeof fakeQueue>,
  send: (token: string) => Promise<Outcome>,
  concurrency: number,
): Promise<SendWorker> {
  const worker = new SendWorker({
    queue,
    store: { removeByTokenKeys: async () => 0 } as unknown as DeviceStore,
    fcm: { send } as unknown as FcmSender,
    retry: { maxAttempts: 3, baseDelayMs: 10, rateLimitedInitialDelayMs: 10, maxDelayMs: 100, maxRetryAfterMs: 100 },
    concurrency,
    readCount: 100,
    claimIdleMs: 60_000,
    log: (line) => assert.fail(line),
  });
  const running = worker.start();
  while (seen.settled < entries) await new Promise((resolve) => setTimeout(resolve, 5));
  await worker.stop();
  await running;
  return worker;
}

describe('SendWorker', () => {
  it('holds about twice its concurrency in unsent device messages, however big the stream entries, and sends them all', async () => {
    const concurrency = 40;
    const entries = Array.from({ length: 60 }, (_, e) => Array.from({ length: 500 }, (_, d) => `token-${e}-${d}`));
    const stream = fakeQueue(entries);
    const { seen } = stream;
    // A provider that answers each request on a later turn, as a network would.
    const send = async (): Promise<Outcome> => {
      await new Promise((resolve) => setImmediate(resolve));
      seen.held--;
      return { kind: 'delivered' };
    };
    const worker = await runWorker(stream, send, concurrency);
    assert.equal(seen.delivered, 30_000);
    assert.equal(worker.stats.delivered, 30_000);
    // Reading up to readCount (100) entries at a time held the whole stream (60 × 500 = 30,000): now the
    // budget (2 × 40) plus at most one entry's worth.
    assert.ok(seen.maxHeld <= 2 * concurrency + 500, `held ${seen.maxHeld} device messages at once`);
    assert.ok(
      seen.reads.every((count) => count >= 1 && count <= 100),
      `read counts ${seen.reads}`,
    );
  });

  it('never has two sends to one token in flight, when the first waits for a slot', async () => {
    // Pushes of one device each, in groups of four: two to other tokens that take both slots, then two to the
    // same token, read together. The first of the pair is in flight from the moment it queues for a slot, so
    // the second waits for that send instead of racing it (a second send to a token that just died would hit
    // it again). A worker that marked a send in flight only once it had its slot fails this.
    const entries: string[][] = [];
    for (let group = 0; group < 10; group++) {
      for (const token of [`a-${group}`, `b-${group}`, `t-${group}`, `t-${group}`]) entries.push([token]);
    }
    const stream = fakeQueue(entries);
    const inFlight = new Map<string, number>();
    let overlaps = 0;
    let most = 0;
    let sending = 0;
    const send = async (token: string): Promise<Outcome> => {
      const now = (inFlight.get(token) ?? 0) + 1;
      if (now > 1) overlaps++;
      inFlight.set(token, now);
      most = Math.max(most, ++sending);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight.set(token, now - 1);
      sending--;
      return { kind: 'delivered' };
    };
    await runWorker(stream, send, 2);
    assert.equal(stream.seen.delivered, 40);
    assert.equal(overlaps, 0, 'two sends to one token were in flight together');
    assert.ok(most <= 2, `${most} sends in flight through 2 slots`);
  });
});
