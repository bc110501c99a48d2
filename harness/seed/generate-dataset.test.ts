import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUserError } from '../common/errors.ts';
import { audienceFor, roomMembers } from './audience.ts';
import { generateDataset } from './generate-dataset.ts';

const small = {
  seed: 7,
  users: 2000,
  rooms: [
    { name: 'Big', members: 1500 },
    { name: 'Mid', members: 300 },
    { name: 'Small', members: 100 },
  ],
};

describe('generateDataset', () => {
  it('is deterministic: the same seed gives the same dataset, another seed another one', () => {
    const a = generateDataset({ ...small, devices: {} });
    const b = generateDataset({ ...small, devices: {} });
    assert.equal(a.fingerprint, b.fingerprint);
    assert.deepEqual(a.users.slice(0, 50), b.users.slice(0, 50));
    assert.deepEqual(a.devices.slice(0, 50), b.devices.slice(0, 50));
    const c = generateDataset({ ...small, seed: 8, devices: {} });
    assert.notEqual(c.fingerprint, a.fingerprint);
    assert.notDeepEqual(
      c.users.slice(0, 20).map((u) => u.username),
      a.users.slice(0, 20).map((u) => u.username),
    );
  });

  it('defaults to GrandChat: 100k users, rooms of 100k / 10k / 1k / 100, 111,100 memberships', () => {
    const dataset = generateDataset({});
    assert.equal(dataset.users.length, 100_000);
    assert.deepEqual(
      dataset.rooms.map((r) => [r.name, r.memberIds.length]),
      [
        ['Centrifugo', 100_000],
        ['Movies', 10_000],
        ['Programming', 1_000],
        ['Football', 100],
      ],
    );
    assert.equal(new Set(dataset.users.map((u) => u.username)).size, 100_000, 'usernames are unique');
  });

  it('rooms overlap like GrandChat: the smallest room is inside every room, also when shuffled', () => {
    for (const shuffleMembers of [false, true]) {
      const dataset = generateDataset({ ...small, shuffleMembers });
      const [big, mid, smallRoom] = dataset.rooms;
      const inBig = new Set(big!.memberIds);
      const inMid = new Set(mid!.memberIds);
      for (const id of smallRoom!.memberIds) assert.ok(inBig.has(id) && inMid.has(id));
      assert.equal(new Set(big!.memberIds).size, 1500, 'no duplicate member');
      if (!shuffleMembers) assert.deepEqual(smallRoom!.memberIds.slice(0, 3), [1, 2, 3]);
      else assert.notDeepEqual(smallRoom!.memberIds.slice(0, 3), [1, 2, 3]);
    }
  });

  it('gives devices per the mix, with topics of the rooms the user is in', () => {
    const dataset = generateDataset({ ...small, devices: { perUser: [0, 1, 1], webPushShare: 0.5 } });
    const perUser = new Map<number, number>();
    for (const d of dataset.devices) perUser.set(d.userId, (perUser.get(d.userId) ?? 0) + 1);
    assert.equal(perUser.size, 2000, 'every user has a device (weight 0 for none)');
    const counts = [...perUser.values()];
    assert.ok(counts.every((n) => n === 1 || n === 2));
    const twos = counts.filter((n) => n === 2).length;
    assert.ok(twos > 850 && twos < 1150, `about half the users have two devices (got ${twos})`);
    const web = dataset.devices.filter((d) => d.provider === 'webpush');
    assert.ok(web.every((d) => d.platform === 'web'));
    assert.ok(web.length / dataset.devices.length > 0.45 && web.length / dataset.devices.length < 0.55);
    // token indexes are dense per provider
    const fcm = dataset.devices.filter((d) => d.provider === 'fcm');
    assert.deepEqual(
      fcm.map((d) => d.tokenIndex),
      fcm.map((_, i) => i),
    );
    const user1 = dataset.devices.find((d) => d.userId === 1)!;
    assert.deepEqual(user1.topics, ['chat:messages:1', 'chat:messages:2', 'chat:messages:3']);
    const user1600 = dataset.devices.find((d) => d.userId === 1600)!;
    assert.deepEqual(user1600.topics, []);
  });

  it('refuses a room larger than the user base, naming the field (exit 2)', () => {
    assert.throws(
      () => generateDataset({ users: 10, rooms: [{ name: 'x', members: 11 }] }),
      (error) => isUserError(error) && error.exitCode === 2 && /dataset\.rooms\[0\]\.members/.test(error.message),
    );
  });
});

describe('audienceFor', () => {
  const dataset = generateDataset(small);

  it('one-per-room: distinct users, each owing every published room it is a member of', () => {
    const audience = audienceFor(dataset, { kind: 'one-per-room' });
    assert.deepEqual(
      audience.map((m) => m.userId),
      ['1500', '300', '100'],
    );
    assert.deepEqual(audience[0]!.streams, ['room:1']);
    assert.deepEqual(audience[1]!.streams, ['room:1', 'room:2']);
    assert.deepEqual(audience[2]!.streams, ['room:1', 'room:2', 'room:3']);
    assert.equal(audience[2]!.channel, 'personal:100');
  });

  it('per-room with a subset of rooms: only those rooms are owed', () => {
    const audience = audienceFor(dataset, { kind: 'per-room', count: 5 }, { rooms: [3] });
    assert.equal(audience.length, 5);
    for (const member of audience) assert.deepEqual(member.streams, ['room:3']);
  });

  it('random pick is seeded and stays inside each room', () => {
    const a = audienceFor(dataset, { kind: 'per-room', count: 10, pick: 'random' });
    const b = audienceFor(dataset, { kind: 'per-room', count: 10, pick: 'random' });
    assert.deepEqual(a, b);
    assert.equal(new Set(a.map((m) => m.userId)).size, 30);
    const members = roomMembers(dataset);
    for (const m of a) {
      for (const stream of m.streams) assert.ok(members.get(Number(stream.slice(5)))!.includes(Number(m.userId)));
    }
  });
});
