import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fcmToken, projectTag, verifyFcmToken } from './device-tokens.ts';
import { seedKey } from './seed-key.ts';

const key = seedKey('tokens-test');

test('tokens are deterministic, 163 characters, shaped like real FCM tokens', () => {
  const a = fcmToken('tokens-test', 'bench-project', 7);
  assert.equal(a, fcmToken(key, 'bench-project', 7));
  assert.notEqual(a, fcmToken(key, 'bench-project', 8));
  assert.equal(a.length, 163);
  assert.match(a, /^[A-Za-z0-9_-]{22}:APA91b[A-Za-z0-9_-]{134}$/);
});

test('a process with the seed validates a token and reads its index, project and dead flag', () => {
  const verdict = verifyFcmToken(key, fcmToken(key, 'bench-project', 123_456_789));
  assert.equal(verdict.kind, 'valid');
  if (verdict.kind !== 'valid') return;
  assert.equal(verdict.index, 123_456_789);
  assert.equal(verdict.flaggedDead, false);
  assert.ok(verdict.projectTag.equals(projectTag('bench-project')));
  assert.ok(verdict.deadDraw >= 0 && verdict.deadDraw < 1);
  const dead = verifyFcmToken(key, fcmToken(key, 'bench-project', 5, { dead: true }));
  assert.ok(dead.kind === 'valid' && dead.flaggedDead);
  const foreign = verifyFcmToken(key, fcmToken(key, 'other-project', 5));
  assert.ok(foreign.kind === 'valid' && !foreign.projectTag.equals(projectTag('bench-project')));
});

test('malformed tokens and well-formed strangers are told apart', () => {
  assert.equal(verifyFcmToken(key, 'abc').kind, 'malformed');
  assert.equal(verifyFcmToken(key, `${'a'.repeat(22)}:APA91b${'b'.repeat(133)}`).kind, 'malformed');
  // Another seed's token: right shape, wrong MAC.
  assert.equal(verifyFcmToken(key, fcmToken('another-seed', 'bench-project', 1)).kind, 'unknown');
  // One changed character in the MAC part.
  const token = fcmToken(key, 'bench-project', 1);
  const tampered = `${token.slice(0, 40)}${token[40] === 'A' ? 'B' : 'A'}${token.slice(41)}`;
  assert.equal(verifyFcmToken(key, tampered).kind, 'unknown');
  // Flipping the dead flag without the seed breaks the MAC.
  const body = Buffer.from(token.slice(29), 'base64url');
  body[1] = 1;
  assert.equal(verifyFcmToken(key, `${token.slice(0, 29)}${body.toString('base64url')}`).kind, 'unknown');
});

test('the dead draw is uniform enough that a fraction f marks about f of the tokens', () => {
  let dead = 0;
  for (let i = 0; i < 5000; i++) {
    const v = verifyFcmToken(key, fcmToken(key, 'bench-project', i));
    if (v.kind === 'valid' && v.deadDraw < 0.1) dead++;
  }
  assert.ok(dead > 400 && dead < 600, `${dead} of 5000 below 0.1`);
});
