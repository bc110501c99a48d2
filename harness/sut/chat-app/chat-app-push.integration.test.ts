/**
 * GrandChat's push appendix end to end: seeded devices (tokens minted by the push sink) registered with the
 * push relay; a message in a room is a push to the room's topic, delivered by the relay to the sink for
 * exactly the devices of the room's members; joining binds the user's room topic, so the joiner's devices
 * get the next message's push too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { monoUs } from '../../common/mono-clock.ts';
import { generateDataset, loadDataset, mintDeviceTokens, registerDevices, roomTopic } from '../../seed/index.ts';
import { withStack } from '../../stack/testing.ts';
import { PushRelayClient } from '../push-relay/index.ts';
import { joinRoom, postMessage } from './testing/chat-client.ts';

const dataset = generateDataset({
  seed: 21,
  users: 30,
  rooms: [
    { name: 'Big', members: 20 },
    { name: 'Small', members: 5 },
  ],
  devices: { perUser: [0, 1, 1], webPushShare: 0.3 },
});
const small = dataset.rooms[1]!;

describe('chat app with the push relay and sink', () => {
  it('seeded devices receive the room’s pushes; a join adds the joiner’s devices', async (t) => {
    await withStack(
      { engine: 'memory', chatApp: { mode: 'api', push: true }, pushRelay: {}, pushSink: { workers: 1 } },
      async (stack) => {
        const { pushSink, pushRelay, chatApp, postgres } = stack.endpoints;
        await loadDataset(postgres!.url, dataset);
        const devices = await mintDeviceTokens(dataset.devices, {
          controlUrl: pushSink!.controlUrl!,
          caFile: pushSink!.caFile,
        });
        assert.ok(devices.some((d) => d.provider === 'fcm') && devices.some((d) => d.provider === 'webpush'));
        const apiKey = stack.secrets.centrifugoApiKey;
        const registered = await registerDevices({ url: pushRelay!.url, apiKey }, devices);
        assert.equal(registered.registered, dataset.devices.length);

        const relay = new PushRelayClient({ url: pushRelay!.url, apiKey });
        try {
          const listed = await relay.deviceList({ include_total_count: true, limit: 1 });
          assert.equal(listed.total_count, dataset.devices.length, 'every seeded device is in the relay');

          const owed = (userIds: number[]) => dataset.devices.filter((d) => userIds.includes(d.userId)).length;
          const expectDelivered = async (messageId: number, count: number) => {
            let entry = await relay.pushLedger(`message_${messageId}`);
            const deadline = performance.now() + 20_000;
            while (entry.delivered < count && performance.now() < deadline) {
              await new Promise((r) => setTimeout(r, 100));
              entry = await relay.pushLedger(`message_${messageId}`);
            }
            assert.equal(entry.delivered, count, JSON.stringify(entry));
            t.diagnostic(`message ${messageId}: ${entry.delivered} pushes delivered to the sink`);
            assert.deepEqual(entry.failed, {}, 'no failed device');
          };

          const first = await postMessage(chatApp!.url, 1, small.id, 'push me', { s: 'push', q: 1, t: monoUs() });
          assert.equal(first.status, 201);
          assert.deepEqual(first.body.push, { ok: true });
          assert.ok(first.body.timings.push_ms! > 0);
          assert.ok(
            dataset.devices.filter((d) => d.topics.includes(roomTopic(small.id))).length === owed(small.memberIds),
          );
          await expectDelivered(first.body.id, owed(small.memberIds));

          // user 25 is in no room; after joining Small, its devices get Small's pushes (user topic).
          assert.equal((await joinRoom(chatApp!.url, 25, small.id)).status, 200);
          const second = await postMessage(chatApp!.url, 1, small.id, 'after join', { s: 'push', q: 2, t: monoUs() });
          await expectDelivered(second.body.id, owed([...small.memberIds, 25]));
        } finally {
          await relay.close();
        }
      },
    );
  });
});
