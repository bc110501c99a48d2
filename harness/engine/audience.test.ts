import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deepFreeze } from '../common/deep-freeze.ts';
import { channelsByStream, sliceAudience, synthesizeAudience } from './audience.ts';

test('synthesized audience: personal channels owe the broadcast stream; publish owes each own channel', () => {
  const broadcast = synthesizeAudience(3, 'centrifugo-broadcast');
  assert.deepEqual(broadcast[1], { userId: 'u2', channel: 'personal:u2', streams: ['broadcast'] });
  assert.deepEqual(channelsByStream(broadcast), { broadcast: ['personal:u1', 'personal:u2', 'personal:u3'] });
  const publish = synthesizeAudience(2, 'centrifugo-publish');
  assert.deepEqual(channelsByStream(publish), { 'personal:u1': ['personal:u1'], 'personal:u2': ['personal:u2'] });
});

test('a shared channel: everybody listens on it, it is one channel of one stream', () => {
  const shared = synthesizeAudience(1000, 'centrifugo-publish', 'room:feed');
  assert.equal(shared.length, 1000);
  assert.ok(shared.every((m) => m.channel === 'room:feed' && m.streams[0] === 'room:feed'));
  assert.deepEqual(channelsByStream(shared), { 'room:feed': ['room:feed'] });
});

test('channelsByStream stays linear for a large personal audience', () => {
  const audience = synthesizeAudience(100_000, 'centrifugo-broadcast');
  const started = performance.now();
  assert.equal(channelsByStream(audience).broadcast!.length, 100_000);
  assert.ok(performance.now() - started < 1000, 'no quadratic de-duplication');
});

test('a deeply frozen audience (targets.audience) is sliced and grouped without being written to', () => {
  const audience = deepFreeze(synthesizeAudience(5, 'centrifugo-broadcast'));
  const slices = sliceAudience(audience, 2);
  assert.deepEqual(
    slices.map((s) => [s.first, s.items.map((m) => m.userId)]),
    [
      [0, ['u1', 'u2', 'u3']],
      [3, ['u4', 'u5']],
    ],
  );
  assert.equal(channelsByStream(audience).broadcast!.length, 5);
});
