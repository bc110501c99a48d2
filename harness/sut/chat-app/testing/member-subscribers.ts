/**
 * Test helper: one subscriber per user on `personal:<id>`, authenticated with tokens from the chat app's
 * own token endpoints (as GrandChat's frontend does), speaking the engine's protocol client. Records
 * every publication per user, so a test can count each event exactly.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { SubscriberConnection, type SubscriberListener } from '../../../engine/index.ts';

export interface ReceivedEvent {
  type: string;
  /** The bench marker's stream and sequence, when the event carried one. */
  s?: string;
  q?: number;
  /** The whole bench marker as received. */
  bench?: Record<string, unknown>;
  body: Record<string, unknown>;
  recovered: boolean;
  /** Receive time on the run's clock (monotonic µs), for latency against the marker's `t`. */
  receivedUs: number;
}

async function token(appUrl: string, userId: number, path: string): Promise<string> {
  const response = await request(`${appUrl}${path}`, { headers: { 'x-user-id': String(userId) } });
  const body = (await response.body.json()) as { token?: string; message?: string };
  if (response.statusCode !== 200 || !body.token) {
    throw new Error(`GET ${path} as user ${userId} → ${response.statusCode} ${body.message ?? ''}`);
  }
  return body.token;
}

export class MemberSubscribers {
  readonly received = new Map<number, ReceivedEvent[]>();
  readonly errors: string[] = [];
  private readonly connections: SubscriberConnection[] = [];
  private subscribedCount = 0;

  /** Opens one subscriber per user; `urlsFor(userId)` gives its node URLs (first = its node). */
  static async open(appUrl: string, userIds: number[], urlsFor: (userId: number) => string[]) {
    const subscribers = new MemberSubscribers();
    const listener: SubscriberListener = {
      connected() {},
      subscribed() {
        subscribers.subscribedCount++;
      },
      publication(conn, pub, receivedUs, recovered) {
        const data = pub.data as {
          type?: string;
          body?: Record<string, unknown>;
          bench?: { s?: string; q?: number } & Record<string, unknown>;
        };
        subscribers.received.get(Number(conn.userId))!.push({
          type: data.type ?? '?',
          s: data.bench?.s,
          q: data.bench?.q,
          bench: data.bench,
          body: data.body ?? {},
          recovered,
          receivedUs,
        });
      },
      unsubscribed() {
        subscribers.subscribedCount--;
      },
      error(conn, code) {
        subscribers.errors.push(`${conn.userId}: ${code}`);
      },
      terminal(conn, reason) {
        subscribers.errors.push(`${conn.userId}: terminal: ${reason}`);
      },
    };
    for (const userId of userIds) {
      subscribers.received.set(userId, []);
      const channel = `personal:${userId}`;
      const conn = new SubscriberConnection(
        {
          urls: urlsFor(userId),
          userId: String(userId),
          channel,
          connectionToken: await token(appUrl, userId, '/api/token/connection'),
          subscriptionToken: await token(appUrl, userId, `/api/token/subscription?channel=${channel}`),
          connectTimeoutMs: 5000,
          reconnect: { enabled: true, minDelayMs: 100, maxDelayMs: 1000 },
        },
        listener,
      );
      subscribers.connections.push(conn);
      conn.open();
    }
    await subscribers.waitSubscribed(20_000);
    return subscribers;
  }

  get subscribed(): number {
    return this.subscribedCount;
  }

  async waitSubscribed(timeoutMs: number): Promise<void> {
    await waitFor(
      () => this.subscribedCount === this.connections.length,
      timeoutMs,
      () => {
        return `${this.subscribedCount}/${this.connections.length} subscribed; errors: ${this.errors.slice(-5).join('; ')}`;
      },
    );
  }

  /** Events of `userId` that carry stream `s` (a test run's marker stream). */
  events(userId: number, s?: string): ReceivedEvent[] {
    const all = this.received.get(userId) ?? [];
    return s === undefined ? all : all.filter((e) => e.s === s);
  }

  /** Marker time → receive time of each event of stream `s`, ms (the marker's `t` is monotonic µs). */
  latencies(userId: number, s: string): number[] {
    return this.events(userId, s).map((e) => (e.receivedUs - Number(e.bench?.t)) / 1000);
  }

  close(): void {
    for (const conn of this.connections) conn.close();
  }
}

/** Polls `check` every 50 ms until it is true; fails after `timeoutMs` with `explain()`. */
export async function waitFor(
  check: () => boolean,
  timeoutMs: number,
  explain: () => string = () => '',
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${explain()}`);
    await sleep(50);
  }
}
