import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import type { DatasetDevice } from './generate-dataset.ts';

/**
 * Device tokens are minted by the push sink (harness/sut/push-sink, control API): token number i of a
 * provider is a pure function of the sink's seed, so the sink accepts it as a live device — a dataset's
 * device only records which index it has (`tokenIndex`). Registration goes through the push relay's API
 * (Centrifugo PRO's `device_register` shape; the relay's `device_register_bulk` for many at once).
 */
export interface DeviceWithToken extends DatasetDevice {
  /** FCM registration token, or the Web Push subscription as a JSON string (PRO's convention). */
  token: string;
}

/** Centrifugo PRO's `device_register` request (reference/centrifugo.md §6), as the relay takes it. */
export interface DeviceRegisterRequest {
  provider: 'fcm' | 'webpush';
  token: string;
  platform: 'android' | 'ios' | 'web';
  user: string;
  topics: string[];
}

const MINT_BATCH = 100_000;

async function postJson<T>(
  url: string,
  body: unknown,
  options: { dispatcher?: Agent; headers?: Record<string, string> },
) {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(body),
    dispatcher: options.dispatcher,
  });
  const text = await response.body.text();
  if (response.statusCode >= 300) throw new Error(`POST ${url} → ${response.statusCode}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Fetches from the sink the token of every device (FCM tokens and Web Push subscriptions, by index). */
export async function mintDeviceTokens(
  devices: readonly DatasetDevice[],
  sink: { controlUrl: string; caFile: string },
): Promise<DeviceWithToken[]> {
  const dispatcher = new Agent({ connect: { ca: readFileSync(sink.caFile) } });
  try {
    const count = { fcm: 0, webpush: 0 };
    for (const d of devices) count[d.provider] = Math.max(count[d.provider], d.tokenIndex + 1);
    const tokens = { fcm: [] as string[], webpush: [] as string[] };
    for (let start = 0; start < count.fcm; start += MINT_BATCH) {
      const reply = await postJson<{ tokens: string[] }>(
        `${sink.controlUrl}/fcm/tokens`,
        { start, count: Math.min(MINT_BATCH, count.fcm - start) },
        { dispatcher },
      );
      tokens.fcm.push(...reply.tokens);
    }
    for (let start = 0; start < count.webpush; start += MINT_BATCH) {
      const reply = await postJson<{ subscriptions: unknown[] }>(
        `${sink.controlUrl}/webpush/subscriptions`,
        { start, count: Math.min(MINT_BATCH, count.webpush - start) },
        { dispatcher },
      );
      tokens.webpush.push(...reply.subscriptions.map((s) => JSON.stringify(s)));
    }
    return devices.map((d) => ({ ...d, token: tokens[d.provider][d.tokenIndex]! }));
  } finally {
    await dispatcher.close();
  }
}

export function deviceRegisterRequests(devices: readonly DeviceWithToken[]): DeviceRegisterRequest[] {
  return devices.map((d) => ({
    provider: d.provider,
    token: d.token,
    platform: d.platform,
    user: String(d.userId),
    topics: d.topics,
  }));
}

/**
 * Registers devices with the push relay (`POST /api/device_register_bulk`, `batchSize` per call), with
 * the relay's API key. Re-registering a token updates its device: re-runnable.
 */
export async function registerDevices(
  relay: { url: string; apiKey: string },
  devices: readonly DeviceWithToken[],
  options: { batchSize?: number } = {},
): Promise<{ registered: number; durationMs: number }> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 1000;
  const requests = deviceRegisterRequests(devices);
  for (let i = 0; i < requests.length; i += batchSize) {
    await postJson(
      `${relay.url}/api/device_register_bulk`,
      { devices: requests.slice(i, i + batchSize) },
      { headers: { 'x-api-key': relay.apiKey } },
    );
  }
  return { registered: requests.length, durationMs: Math.round(performance.now() - started) };
}
