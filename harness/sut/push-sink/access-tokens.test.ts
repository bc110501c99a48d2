import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccessTokenChecker, issueAccessToken, readAccessToken, SCOPE_FCM } from './access-tokens.ts';

test('access tokens are self-validating with the auth key and carry expiry and scope', () => {
  const key = Buffer.alloc(32, 1);
  const token = issueAccessToken(key, { expiresAt: 1_900_000_000, scopes: SCOPE_FCM }, Buffer.alloc(8, 2));
  assert.match(token, /^ya29\.c\.[A-Za-z0-9_-]{39}$/);
  assert.deepEqual(readAccessToken(key, token), { expiresAt: 1_900_000_000, scopes: SCOPE_FCM });
  assert.equal(readAccessToken(Buffer.alloc(32, 3), token), undefined);
  assert.equal(readAccessToken(key, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`), undefined);
  const checker = new AccessTokenChecker(key);
  assert.equal(checker.read(token)?.scopes, SCOPE_FCM);
  assert.equal(checker.read('ya29.forged'), undefined);
});
