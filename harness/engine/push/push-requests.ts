import type { Notification, SendPushRequest } from '../../common/push-api.ts';
import type { Population, Provider } from './device-population.ts';
import type { PushFlood } from './push-flood-schema.ts';

/** One `send_push_notification` body, and how many device messages it asks for (raw tokens only). */
export interface FloodPush {
  body: SendPushRequest;
  /** Tokens in the push; 0 for filters (ids, topics), which the API resolves itself. */
  targets: number;
  /** Flood units in the call: tokens or device ids it names; 1 for topics (see `recipientsPerCall`). */
  units: number;
}

/** Provider of push i in the token mode: the population's mix, interleaved evenly. */
function providerSequence(population: Population): (i: number) => Provider {
  const share = population.byProvider.fcm.length / population.devices.length;
  return (i) => {
    if (share === 1) return 'fcm';
    if (share === 0) return 'webpush';
    return Math.floor((i + 1) * share) > Math.floor(i * share) ? 'fcm' : 'webpush';
  };
}

/**
 * The flood's calls, in order: call i goes to the next `size` tokens or device ids, or `recipients.count` topics of the
 * population (round-robin), carries its intended send time (`bench_t` / `X-Bench-T`, µs CLOCK_MONOTONIC; a shard's
 * on the sink's clock, flood-shard.ts) so the sink measures latency from it, and has `uid = <runTag>-<i>` (plus `ledger_scope = <runTag>` for the relay).
 */
export class PushRequests {
  private readonly providerOf: (i: number) => Provider;
  private readonly cursor = { fcm: 0, webpush: 0, device: 0, topic: 0 };
  private readonly padding: string;
  /** `X-Bench-T` goes to the relay and generic APIs, not to Centrifugo PRO. */
  private readonly includeBenchHeaders: boolean;

  constructor(
    private readonly flood: PushFlood,
    private readonly population: Population,
    private readonly runTag: string,
    private readonly ledgerScope: string | undefined,
  ) {
    this.providerOf = providerSequence(population);
    this.padding = 'x'.repeat(Math.max(0, flood.pushes.payloadBytes - 120));
    this.includeBenchHeaders = flood.api !== 'centrifugo-pro';
  }

  /**
   * The most tokens / device ids one call can name without naming one twice (a real app never does): the
   * smallest provider pool in use for tokens, the population for device ids.
   */
  get distinctPerCall(): number {
    const { population } = this;
    const kind = this.flood.pushes.recipients.kind;
    if (kind === 'device') return population.devices.length;
    if (kind === 'topic') return Number.POSITIVE_INFINITY;
    const pools = [population.byProvider.fcm.length, population.byProvider.webpush.length].filter((n) => n > 0);
    return Math.min(...pools);
  }

  /** Call i with `size` tokens / device ids (token and device recipients; topics use `recipients.count`). */
  build(i: number, intendedUs: number, size: number): FloodPush {
    const t = String(intendedUs);
    const fcm = {
      message: { notification: { title: 'bench', body: `push ${i}` }, data: { pad: this.padding, bench_t: t } },
    };
    const headers: Record<string, string> = this.includeBenchHeaders
      ? { TTL: '3600', 'X-Bench-T': t }
      : { TTL: '3600' };
    const webpush = {
      headers,
      payload: { title: 'bench', body: `push ${i}`, pad: this.padding },
    };
    const expireAfterS = this.flood.pushes.expireAfterS;
    const expire: Pick<Notification, 'expire_at'> = expireAfterS
      ? { expire_at: Math.floor(Date.now() / 1000) + expireAfterS }
      : {};
    const { population, cursor } = this;
    const recipients = this.flood.pushes.recipients;
    let recipient: SendPushRequest['recipient'];
    let notification: Notification;
    let targets = 0;
    let units = size;
    if (recipients.kind === 'token') {
      const provider = this.providerOf(i);
      const pool = population.byProvider[provider];
      const tokens: string[] = [];
      for (let k = 0; k < size; k++) tokens.push(population.devices[pool[cursor[provider]++ % pool.length]!]!.token);
      recipient = provider === 'fcm' ? { fcm_tokens: tokens } : { webpush_tokens: tokens };
      notification = provider === 'fcm' ? { fcm, ...expire } : { webpush, ...expire };
      targets = tokens.length;
    } else if (recipients.kind === 'device') {
      const ids: string[] = [];
      for (let k = 0; k < size; k++) ids.push(population.devices[cursor.device++ % population.devices.length]!.id!);
      recipient = { filter: { ids } };
      notification = { fcm, webpush, ...expire };
    } else {
      const topics: string[] = [];
      for (let k = 0; k < recipients.count; k++)
        topics.push(population.topics[cursor.topic++ % population.topics.length]!);
      recipient = { filter: { topics } };
      notification = { fcm, webpush, ...expire };
      units = 1;
    }
    return {
      body: {
        recipient,
        notification,
        uid: `${this.runTag}-${i}`,
        ...(this.ledgerScope && { ledger_scope: this.ledgerScope }),
      },
      targets,
      units,
    };
  }
}
