import { createECDH, randomBytes } from 'node:crypto';
import { base, en, Faker } from '@faker-js/faker';
import type { DeviceRegisterBulkRequest, DeviceRegisterRequest } from '../../common/push-api.ts';
import type { PushApi } from './push-api.ts';
import type { PushFlood } from './push-flood-schema.ts';
import type { SinkControl } from './sink-control.ts';

export type Provider = 'fcm' | 'webpush';

export interface Device {
  provider: Provider;
  /** FCM registration token, or the PushSubscription JSON string (PRO's webpush token format). */
  token: string;
  platform: 'android' | 'ios' | 'web';
  user: string;
  topics: string[];
  timezone: string;
  locale: string;
  /** Assigned by the API at registration. */
  id?: string;
}

export interface Population {
  devices: Device[];
  /** Device indexes per provider, in population order. */
  byProvider: Record<Provider, number[]>;
  topics: string[];
}

const LOCALES = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'es-ES', 'pt-BR', 'ja-JP', 'ru-RU'];

export function topicName(n: number): string {
  return `bench-topic-${n}`;
}

/** Tokens that look real enough for APIs that never send (PRO dry_run): FCM-shaped tokens, valid P-256 keys. */
function syntheticTokens(fcm: number, webpush: number): { fcm: string[]; webpush: string[] } {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const keys = { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
  return {
    fcm: Array.from(
      { length: fcm },
      () => `${randomBytes(16).toString('base64url')}:APA91b${randomBytes(100).toString('base64url')}`,
    ),
    webpush: Array.from({ length: webpush }, () =>
      JSON.stringify({
        endpoint: `https://fcm.googleapis.com/wp/${randomBytes(24).toString('base64url')}`,
        expirationTime: null,
        keys,
      }),
    ),
  };
}

/**
 * The device population: the provider mix interleaved evenly, users round-robin, `perDevice` distinct topics
 * per device, faker-made timezones and locales (seeded: the same seed, the same population). Tokens and Web
 * Push subscriptions come from the sink when there is one (so it accepts them), else are synthetic.
 *
 * `range` (a shard's devices, [start, end)): the same seeded population, of which only these devices are kept
 * and only their tokens minted — every random draw is still made for every device, so device j is the same
 * device on every shard and in a single process (sink tokens are minted by index: the same index, the same token).
 */
export async function buildPopulation(
  config: PushFlood['devices'],
  sink: SinkControl | undefined,
  range: { start: number; end: number } = { start: 0, end: config.count },
): Promise<Population> {
  const faker = new Faker({ locale: [en, base] });
  faker.seed(config.seed);
  const share = config.mix.fcm / (config.mix.fcm + config.mix.webpush);
  const providers: Provider[] = [];
  for (let i = 0; i < config.count; i++) {
    // Bresenham: device i is FCM when the running FCM quota crosses an integer.
    providers.push(Math.floor((i + 1) * share) > Math.floor(i * share) ? 'fcm' : 'webpush');
  }
  // Tokens of the devices in range: each provider's ordinals [before the range, before its end).
  const fcmBefore = (i: number) => providers.slice(0, i).filter((p) => p === 'fcm').length;
  const first = { fcm: fcmBefore(range.start), webpush: range.start - fcmBefore(range.start) };
  const nFcm = fcmBefore(range.end) - first.fcm;
  const nWebPush = range.end - range.start - nFcm;
  const tokens = sink
    ? {
        fcm: nFcm ? await sink.fcmTokens(first.fcm, nFcm) : [],
        webpush: nWebPush
          ? (await sink.webPushSubscriptions(first.webpush, nWebPush)).map((s) => JSON.stringify(s))
          : [],
      }
    : syntheticTokens(nFcm, nWebPush);

  const userCount = config.users ?? Math.max(1, Math.ceil(config.count / 1.5));
  const users = Array.from({ length: Math.min(userCount, config.count) }, () => faker.string.alphanumeric(10));
  const topics = Array.from({ length: config.topics.count }, (_, n) => topicName(n));
  const perDevice = Math.min(config.topics.perDevice, topics.length);
  const byProvider: Record<Provider, number[]> = { fcm: [], webpush: [] };
  const next = { fcm: 0, webpush: 0 };
  const devices: Device[] = [];
  providers.forEach((provider, i) => {
    // Every device's draws are made, in order, so the devices in range are those of the whole population.
    const chosen = new Set<string>();
    while (chosen.size < perDevice) chosen.add(topics[faker.number.int({ min: 0, max: topics.length - 1 })]!);
    const platform = provider === 'webpush' ? 'web' : faker.datatype.boolean({ probability: 0.7 }) ? 'android' : 'ios';
    const timezone = faker.location.timeZone();
    const locale = faker.helpers.arrayElement(LOCALES);
    if (i < range.start || i >= range.end) return;
    byProvider[provider].push(devices.length);
    devices.push({
      provider,
      token: tokens[provider][next[provider]++]!,
      platform,
      user: users[i % users.length]!,
      topics: [...chosen],
      timezone,
      locale,
    });
  });
  return { devices, byProvider, topics };
}

const registration = (d: Device): DeviceRegisterRequest => ({
  provider: d.provider,
  token: d.token,
  platform: d.platform,
  user: d.user,
  topics: d.topics,
  timezone: d.timezone,
  locale: d.locale,
});

/**
 * Registers the population: the relay's bulk path (`device_register_bulk`, `batch` devices per call, two
 * calls in flight), or one `device_register` per device (`batch` calls in flight, capped at 64) elsewhere.
 */
export async function registerPopulation(
  api: PushApi,
  population: Population,
  options: { bulk: boolean; batch: number; signal?: AbortSignal; onProgress?: (registered: number) => void },
): Promise<void> {
  const { devices } = population;
  let next = 0;
  let registered = 0;
  const worker = async (size: number) => {
    while (next < devices.length) {
      options.signal?.throwIfAborted();
      const start = next;
      next = Math.min(devices.length, next + size);
      const chunk = devices.slice(start, next);
      if (options.bulk) {
        const result = await api.must<{ ids: string[] }>('device_register_bulk', {
          devices: chunk.map(registration),
        } satisfies DeviceRegisterBulkRequest);
        result.ids.forEach((id, k) => {
          chunk[k]!.id = id;
        });
      } else {
        const result = await api.must<{ id: string }>('device_register', registration(chunk[0]!));
        chunk[0]!.id = result.id;
      }
      registered += chunk.length;
      options.onProgress?.(registered);
    }
  };
  const lanes = options.bulk ? 2 : Math.min(64, options.batch);
  await Promise.all(Array.from({ length: lanes }, () => worker(options.bulk ? options.batch : 1)));
}
