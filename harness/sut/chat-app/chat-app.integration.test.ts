/**
 * The chat app against a real stack (memory engine, one Centrifugo node, PostgreSQL, Redis, NATS): every
 * mode delivers every message exactly once; broadcasts split into calls; join/leave events; tokens.
 * The stack runs the app as a process (mode api); the other modes run in-process against the same stack,
 * whose Centrifugo has every mode's consumer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { generateDataset, loadDataset } from '../../seed/index.ts';
import { stackSpecForMode } from '../../stack/index.ts';
import { withStack } from '../../stack/testing.ts';
import type { BroadcastMode } from './modes.ts';
import { startChatAppServer } from './server.ts';
import { joinRoom, leaveRoom, postMessage } from './testing/chat-client.ts';
import { appConfigFor, checkExactlyOnce } from './testing/delivery-check.ts';
import { MemberSubscribers, waitFor } from './testing/member-subscribers.ts';

const dataset = generateDataset({
  seed: 11,
  users: 60,
  rooms: [
    { name: 'Big', members: 40 },
    { name: 'Small', members: 8 },
  ],
});
const rooms = dataset.rooms.map((r) => ({ id: r.id, memberIds: r.memberIds }));
// Users 41..50 are in no room: they must hear nothing.
const online = Array.from({ length: 50 }, (_, i) => i + 1);
const consumers = (['outbox', 'redis_stream', 'nats_jetstream'] as const).flatMap(
  (mode) => stackSpecForMode(mode).consumers,
);

describe('chat app on a memory-engine stack', () => {
  it('delivers through every mode exactly once, splits broadcasts, announces join/leave', async (t) => {
    await withStack({ engine: 'memory', consumers, chatApp: { mode: 'api' } }, async (stack) => {
      await loadDataset(stack.endpoints.postgres!.url, dataset);
      const appUrl = stack.endpoints.chatApp!.url;
      const wsUrl = stack.endpoints.centrifugo.nodes[0]!.wsUrl;
      const subscribers = await MemberSubscribers.open(appUrl, online, () => [wsUrl]);
      const appLog: string[] = [];
      try {
        await t.test('api (the stack’s app process): exactly once, broadcast time measured', async () => {
          const replies = await checkExactlyOnce({ appUrl, subscribers, online, rooms, label: 'api', perRoom: 3 });
          for (const reply of replies) {
            assert.equal(reply.broadcast.ok, true);
            assert.equal(reply.broadcast.calls, 1);
            assert.ok(reply.timings.creation_ms > 0);
            assert.ok(reply.timings.broadcast_ms! > 0, 'api mode measures its broadcast call');
          }
        });

        for (const mode of ['outbox', 'api_outbox', 'redis_stream', 'nats_jetstream'] as BroadcastMode[]) {
          await t.test(`${mode}: exactly once`, async () => {
            const app = await startChatAppServer(appConfigFor(stack, mode), { log: (l) => appLog.push(l) });
            try {
              const replies = await checkExactlyOnce({
                appUrl: app.url,
                subscribers,
                online,
                rooms,
                label: mode,
                perRoom: 3,
              });
              for (const reply of replies) {
                assert.equal(reply.broadcast.ok, true, JSON.stringify(reply.broadcast));
                if (mode === 'outbox') assert.equal(reply.timings.broadcast_ms, undefined, 'Centrifugo broadcasts');
                else assert.ok(reply.timings.broadcast_ms! >= 0);
              }
            } finally {
              await app.close();
            }
          });
        }

        await t.test('split broadcasts: 40 members at 7 channels per call → 6 calls, still exactly once', async () => {
          for (const mode of ['api', 'api_outbox'] as BroadcastMode[]) {
            const app = await startChatAppServer(appConfigFor(stack, mode, { channelsPerCall: 7 }), {
              log: (l) => appLog.push(l),
            });
            try {
              const label = `split-${mode}`;
              const replies = await checkExactlyOnce({
                appUrl: app.url,
                subscribers,
                online,
                rooms,
                label,
                perRoom: 2,
              });
              const calls = replies.map((r) => r.broadcast.calls).sort();
              assert.deepEqual([...new Set(calls)], [2, 6], 'Small (8 members) → 2 calls, Big (40) → 6 calls');
            } finally {
              await app.close();
            }
          }
        });

        await t.test('join and leave: every member hears it, 409 / 404 when nothing changes', async () => {
          const small = rooms[1]!;
          const before = subscribers.events(45).length;
          const joined = await joinRoom(appUrl, 45, small.id);
          assert.equal(joined.status, 200);
          assert.equal(joined.body.room.member_count, 9);
          const again = await joinRoom(appUrl, 45, small.id);
          assert.equal(again.status, 409);
          const hearers = [...small.memberIds, 45];
          const heard = (type: string) => hearers.filter((u) => subscribers.events(u).some((e) => e.type === type));
          await waitFor(
            () => heard('user_joined').length === hearers.length,
            10_000,
            () => `${heard('user_joined')}`,
          );
          const event = subscribers.events(45).find((e) => e.type === 'user_joined')!;
          assert.deepEqual(event.body.user, { id: 45, username: dataset.users[44]!.username });
          assert.ok(subscribers.events(45).length > before);

          const left = await leaveRoom(appUrl, 45, small.id);
          assert.equal(left.status, 200);
          assert.equal(left.body.room.member_count, 8);
          assert.ok(left.body.room.version > joined.body.room.version, 'the room version grows');
          assert.equal((await leaveRoom(appUrl, 45, small.id)).status, 404);
          await waitFor(
            () => heard('user_left').length === hearers.length,
            10_000,
            () => `${heard('user_left')}`,
          );
          // Once gone, user 45 hears nothing of the room.
          const reply = await postMessage(appUrl, 1, small.id, 'after leave', { s: 'after-leave', q: 1, t: 0 });
          assert.equal(reply.status, 201);
          await waitFor(() => subscribers.events(1, 'after-leave').length === 1, 10_000);
          assert.equal(subscribers.events(45, 'after-leave').length, 0);
        });

        await t.test('tokens: own channel only; unknown caller refused', async () => {
          const get = async (path: string, user?: number) => {
            const r = await request(`${appUrl}${path}`, { headers: user ? { 'x-user-id': String(user) } : {} });
            await r.body.dump();
            return r.statusCode;
          };
          assert.equal(await get('/api/token/subscription?channel=personal:2', 1), 403);
          assert.equal(await get('/api/token/subscription?channel=personal:1', 1), 200);
          assert.equal(await get('/api/token/connection'), 401);
          assert.equal(await get('/api/token/connection', 99_999), 401);
          assert.equal((await postMessage(appUrl, 1, 999, 'no such room')).status, 404);
        });

        assert.deepEqual(
          subscribers.errors.filter((e) => !e.includes('ws_close_3000')),
          [],
          'no subscriber error in steady state',
        );
        assert.deepEqual(appLog, [], 'no broadcast failure logged');
      } finally {
        subscribers.close();
      }
    });
  });
});
