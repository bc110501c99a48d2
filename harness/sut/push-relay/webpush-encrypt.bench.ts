/**
 * CPU per Web Push message encryption: web-push's `generateRequestDetails` (what the relay used) against
 * `encryptWebPush` (node:crypto), one core, 256-byte payloads; each output is checked by the sink's decryption.
 *
 *   node --import tsx harness/sut/push-relay/webpush-encrypt.bench.ts [--messages 20000]
 */
import { createECDH, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import webpush from 'web-push';
import { decryptWebPush } from '../push-sink/testing.ts';
import { encryptWebPush, userAgentKeys } from './webpush-encrypt.ts';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '20000' } } });
const messages = Number(values.messages);

const ecdh = createECDH('prime256v1');
const publicKey = ecdh.generateKeys();
const authSecret = randomBytes(16);
const subscription = {
  endpoint: 'https://127.0.0.1:1/wp/1',
  keys: { p256dh: publicKey.toString('base64url'), auth: authSecret.toString('base64url') },
};
const payload = 'x'.repeat(256);
const keys = userAgentKeys(subscription.keys.p256dh, subscription.keys.auth);
const decrypts = (body: Buffer) => decryptWebPush(body, { ecdh, publicKey, authSecret }).toString() === payload;

const candidates: [string, () => Buffer][] = [
  [
    'web-push generateRequestDetails (VAPID header given)',
    () =>
      webpush.generateRequestDetails(subscription, payload, {
        vapidDetails: null as never,
        headers: { Authorization: 'vapid t=x, k=y' },
      }).body as Buffer,
  ],
  [
    'encryptWebPush, subscription keys decoded per message',
    () => encryptWebPush(userAgentKeys(subscription.keys.p256dh, subscription.keys.auth), Buffer.from(payload)),
  ],
  ['encryptWebPush, subscription keys cached', () => encryptWebPush(keys, Buffer.from(payload))],
];
for (const [name, encrypt] of candidates) {
  if (!decrypts(encrypt())) throw new Error(`${name}: the sink could not decrypt its output`);
  for (let i = 0; i < Math.min(2000, messages); i++) encrypt();
  const before = process.cpuUsage();
  for (let i = 0; i < messages; i++) encrypt();
  const used = process.cpuUsage(before);
  console.log(
    JSON.stringify({ name, messages, cpuUsPerMessage: Math.round(((used.user + used.system) / messages) * 10) / 10 }),
  );
}
