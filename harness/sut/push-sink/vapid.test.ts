import assert from 'node:assert/strict';
import { createECDH, createPrivateKey, sign } from 'node:crypto';
import { test } from 'node:test';
import webpush from 'web-push';
import { parseVapidHeader, VapidVerifier } from './vapid.ts';

const ORIGIN = 'https://127.0.0.1:8443';

function keyPair() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const pub = ecdh.getPublicKey();
  const privateKey = createPrivateKey({
    format: 'jwk',
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: pub.subarray(1, 33).toString('base64url'),
      y: pub.subarray(33, 65).toString('base64url'),
      d: ecdh.getPrivateKey().toString('base64url'),
    },
  });
  return { publicKey: pub.toString('base64url'), privateKey };
}

function jwt(claims: Record<string, unknown>, privateKey: ReturnType<typeof createPrivateKey>, alg = 'ES256'): string {
  const h = Buffer.from(JSON.stringify({ typ: 'JWT', alg })).toString('base64url');
  const p = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const s = sign('sha256', Buffer.from(`${h}.${p}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${h}.${p}.${s.toString('base64url')}`;
}

const now = Math.floor(Date.now() / 1000);
const good = { aud: ORIGIN, exp: now + 12 * 3600, sub: 'mailto:bench@example.com' };

test('a JWT signed by the key in k, for the right origin, is accepted; the verdict is cached', () => {
  const keys = keyPair();
  const verifier = new VapidVerifier(ORIGIN);
  const header = `vapid t=${jwt(good, keys.privateKey)}, k=${keys.publicKey}`;
  assert.equal(verifier.check(header, now).ok, true);
  assert.equal(verifier.check(header, now).ok, true);
  assert.deepEqual([verifier.verified, verifier.cacheHits], [1, 1]);
});

test('the web-push library header (getVapidHeaders) verifies', () => {
  const keys = webpush.generateVAPIDKeys();
  const headers = webpush.getVapidHeaders(ORIGIN, 'mailto:a@example.com', keys.publicKey, keys.privateKey, 'aes128gcm');
  assert.equal(new VapidVerifier(ORIGIN).check(headers.Authorization, now).ok, true);
});

test('refusals carry the right status and FCM message', () => {
  const keys = keyPair();
  const other = keyPair();
  const verifier = new VapidVerifier(ORIGIN);
  const cases: [string | undefined, number, string][] = [
    [undefined, 401, 'missing authorization header'],
    ['Bearer abc', 401, 'authorization header had invalid format'],
    // Forged: signed by another key than the one it claims in k.
    [`vapid t=${jwt(good, other.privateKey)}, k=${keys.publicKey}`, 403, 'invalid JWT provided'],
    [`vapid t=${jwt(good, keys.privateKey, 'HS256')}, k=${keys.publicKey}`, 403, 'invalid JWT provided'],
    [`vapid t=not.a.jwt, k=${keys.publicKey}`, 403, 'invalid JWT provided'],
    [
      `vapid t=${jwt({ ...good, aud: 'https://127.0.0.1:9999' }, keys.privateKey)}, k=${keys.publicKey}`,
      403,
      'aud claim in the token MUST include the origin of the push resource URL',
    ],
    [`vapid t=${jwt({ ...good, aud: 5 }, keys.privateKey)}, k=${keys.publicKey}`, 403, 'invalid aud claim'],
    [`vapid t=${jwt({ ...good, exp: now - 1 }, keys.privateKey)}, k=${keys.publicKey}`, 403, 'token has expired'],
    [
      `vapid t=${jwt({ ...good, exp: now + 24 * 3600 + 60 }, keys.privateKey)}, k=${keys.publicKey}`,
      403,
      'exp claim MUST NOT be more than 24 hours from the time of the request',
    ],
    [`vapid t=${jwt({ aud: ORIGIN }, keys.privateKey)}, k=${keys.publicKey}`, 403, 'exp claim is missing'],
    [
      `vapid t=${jwt({ ...good, sub: 'bench@example.com' }, keys.privateKey)}, k=${keys.publicKey}`,
      403,
      'sub claim must be a mailto: or https: URL',
    ],
    [
      `vapid t=${jwt(good, keys.privateKey)}, k=${Buffer.alloc(33, 2).toString('base64url')}`,
      403,
      'public key must be 65 bytes long',
    ],
    [
      `vapid t=${jwt(good, keys.privateKey)}, k=${Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url')}`,
      403,
      'VAPID public key must be on the P-256 curve',
    ],
  ];
  for (const [header, status, message] of cases) {
    const result = verifier.check(header, now);
    assert.equal(result.ok, false, `${message} should be refused`);
    if (!result.ok) {
      assert.equal(result.status, status, message);
      assert.ok(result.message.startsWith(message), `${result.message} starts with ${message}`);
    }
  }
});

test('exp is rechecked on every request even when the verdict is cached', () => {
  const keys = keyPair();
  const verifier = new VapidVerifier(ORIGIN);
  const header = `vapid t=${jwt({ ...good, exp: now + 60 }, keys.privateKey)}, k=${keys.publicKey}`;
  assert.equal(verifier.check(header, now).ok, true);
  const later = verifier.check(header, now + 61);
  assert.equal(later.ok, false);
  assert.equal(!later.ok && later.message, 'token has expired');
});

test('the header parser takes commas or semicolons with optional spaces', () => {
  assert.deepEqual(parseVapidHeader('vapid t=a.b.c, k=KEY'), { t: 'a.b.c', k: 'KEY' });
  assert.deepEqual(parseVapidHeader('vapid t=a.b.c;k=KEY'), { t: 'a.b.c', k: 'KEY' });
  assert.deepEqual(parseVapidHeader('Vapid k=KEY , t=a.b.c'), { t: 'a.b.c', k: 'KEY' });
  assert.equal(parseVapidHeader('vapid t=a.b.c'), undefined);
});
