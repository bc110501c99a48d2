import { readFileSync } from 'node:fs';
import { Agent } from 'undici';

export interface SinkStats {
  receipts: number;
  nowUs: number;
  requests: Record<string, Record<string, number>>;
  reasons?: Record<string, Record<string, number>>;
  latency: { unit: 'us'; count: number; histogram?: string; p50?: number; p99?: number };
  dead?: Record<string, { tokens: number; hits: number; repeatHits: number; maxHits: number }>;
  uptimeSeconds?: number;
  workers?: number;
}

export interface PushSubscriptionJson {
  endpoint: string;
  expirationTime: number | null;
  keys: { p256dh: string; auth: string };
}

/**
 * The push sink's control API (harness/sut/push-sink/README.md): token and subscription minting, fault
 * profiles, stats (receipts, e2e latency histogram) and per-dead-token hit counters. TLS with the sink's CA.
 */
export class SinkControl {
  private readonly agent: Agent;
  private readonly base: URL;

  constructor(controlUrl: string, caFile?: string) {
    this.base = new URL(controlUrl.endsWith('/') ? controlUrl : `${controlUrl}/`);
    this.agent = new Agent({ connect: caFile ? { ca: readFileSync(caFile) } : {}, connections: 4 });
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.base);
    const response = await this.agent.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: method as 'GET',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 30_000,
      bodyTimeout: 60_000,
    });
    const text = await response.body.text();
    if (response.statusCode >= 300)
      throw new Error(`sink ${method} ${url.pathname}: ${response.statusCode} ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  }

  async fcmTokens(start: number, count: number): Promise<string[]> {
    const out: string[] = [];
    for (let done = 0; done < count; ) {
      const n = Math.min(50_000, count - done);
      const reply = await this.request<{ tokens: string[] }>('POST', 'fcm/tokens', { start: start + done, count: n });
      out.push(...reply.tokens);
      done += n;
    }
    return out;
  }

  async webPushSubscriptions(start: number, count: number): Promise<PushSubscriptionJson[]> {
    const out: PushSubscriptionJson[] = [];
    for (let done = 0; done < count; ) {
      const n = Math.min(10_000, count - done);
      const reply = await this.request<{ subscriptions: PushSubscriptionJson[] }>('POST', 'webpush/subscriptions', {
        start: start + done,
        count: n,
      });
      out.push(...reply.subscriptions);
      done += n;
    }
    return out;
  }

  /** The sink's clock now (µs, CLOCK_MONOTONIC of its host): one round trip of a sharded flood's offset estimate. */
  async clock(): Promise<number> {
    return (await this.request<{ nowUs: number }>('GET', 'clock')).nowUs;
  }

  stats(): Promise<SinkStats> {
    return this.request('GET', 'stats');
  }

  resetStats(): Promise<unknown> {
    return this.request('POST', 'stats/reset', {});
  }

  setFaults(profile: unknown): Promise<{ profile: unknown; appliedAtUs: number }> {
    return this.request('PUT', 'faults', profile);
  }

  deadHits(
    limit = 100,
  ): Promise<{ fcm: { device: number; hits: number }[]; webpush: { device: number; hits: number }[] }> {
    return this.request('GET', `dead-hits?limit=${limit}`);
  }

  /** The receipts of these pushes (≤ 1000 push ids): what the sink accepted, when (µs CLOCK_MONOTONIC). */
  receipts(
    pushIds: string[],
  ): Promise<{ receipts: { pushId: string | null; acceptedUs: number; provider: string }[] }> {
    return this.request('GET', `receipts?${pushIds.map((id) => `pushId=${encodeURIComponent(id)}`).join('&')}`);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
