import assert from 'node:assert/strict';
import { createECDH } from 'node:crypto';
import { test } from 'node:test';
import webpush from 'web-push';
import { DecryptError, decryptWebPush } from './aes128gcm.ts';
import { seedKey } from './seed-key.ts';
import { userAgentKeys, webPushSubscription } from './subscriptions.ts';

// RFC 8291 Appendix A: the user agent's keys and the message the application server sent.
const RFC = {
  plaintext: 'When I grow up, I want to be a watermelon',
  uaPublic: 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4',
  uaPrivate: 'q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94',
  authSecret: 'BTBZMqHH6r4Tts7J_aSIgg',
  body:
    'DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT' +
    'pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN',
};

function rfcUserAgent() {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(RFC.uaPrivate, 'base64url'));
  return { ecdh, publicKey: ecdh.getPublicKey(), authSecret: Buffer.from(RFC.authSecret, 'base64url') };
}

test('the RFC 8291 Appendix A message decrypts to its plaintext', () => {
  const ua = rfcUserAgent();
  assert.equal(ua.publicKey.toString('base64url'), RFC.uaPublic);
  const plaintext = decryptWebPush(Buffer.from(RFC.body, 'base64url'), ua);
  assert.equal(plaintext.toString('utf8'), RFC.plaintext);
});

test('a flipped ciphertext bit or a wrong auth secret fails authentication', () => {
  const body = Buffer.from(RFC.body, 'base64url');
  body[100] = (body[100] ?? 0) ^ 1;
  assert.throws(() => decryptWebPush(body, rfcUserAgent()), DecryptError);
  const wrongAuth = { ...rfcUserAgent(), authSecret: Buffer.alloc(16, 7) };
  assert.throws(() => decryptWebPush(Buffer.from(RFC.body, 'base64url'), wrongAuth), /authentication failed/);
});

test('a truncated body or a bad keyid length is refused before any crypto', () => {
  assert.throws(() => decryptWebPush(Buffer.alloc(50), rfcUserAgent()), /shorter/);
  const body = Buffer.from(RFC.body, 'base64url');
  body[20] = 64;
  assert.throws(() => decryptWebPush(body, rfcUserAgent()), /keyid length 64/);
});

test('a message the web-push library encrypts for a sink subscription decrypts with the derived keys', () => {
  const key = seedKey('aes-test');
  const subscription = webPushSubscription(key, 'https://127.0.0.1:1', 42);
  const payload = 'x'.repeat(3993);
  const body = webpush.encrypt(subscription.keys.p256dh, subscription.keys.auth, payload, 'aes128gcm').cipherText;
  assert.equal(body.length, 4096, 'push.md §3.3: 3,993 B of plaintext make a 4,096 B body');
  assert.equal(decryptWebPush(body, userAgentKeys(key, 42)).toString(), payload);
  assert.throws(() => decryptWebPush(body, userAgentKeys(key, 43)), DecryptError);
});
