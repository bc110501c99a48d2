/**
 * The chat app on a redis-engine stack with two Centrifugo nodes, subscribers on both: every mode delivers
 * exactly once in steady state; then node 1 is killed (SIGKILL) while messages are published, and started
 * again. `outbox` loses nothing: the row waits in PostgreSQL and the surviving node's consumer delivers it;
 * subscribers of the dead node reconnect to the other node and recover the rest from history. `api` (the
 * app calls node 1's API, as GrandChat calls its one endpoint) loses exactly the messages published during
 * the outage — for every subscriber, on both nodes, since those publications never reached Centrifugo.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CreatedMessage } from '../../engine/index.ts';
import { generateDataset, loadDataset } from '../../seed/index.ts';
import { type Stack, stackSpecForMode } from '../../stack/index.ts';
import { withStack } from '../../stack/testing.ts';
import type { BroadcastMode } from './modes.ts';
import { startChatAppServer } from './server.ts';
import { postMessage } from './testing/chat-client.ts';
import { appConfigFor, checkExactlyOnce } from './testing/delivery-check.ts';
import { MemberSubscribers, waitFor } from './testing/member-subscribers.ts';

const dataset = generateDataset({
  seed: 12,
  users: 40,
  rooms: [
    { name: 'Big', members: 30 },
    { name: 'Small', members: 6 },
  ],
});
const rooms = dataset.rooms.map((r) => ({ id: r.id, memberIds: r.memberIds }));
const big = rooms[0]!;
const online = Array.from({ length: 36 }, (_, i) => i + 1);
const consumers = (['outbox', 'redis_stream', 'nats_jetstream'] as const).flatMap(
  (mode) => stackSpecForMode(mode, 'redis').consumers,
);

interface Published {
  q: number;
  reply: CreatedMessage;
}

/** Posts `count` messages to the Big room one after another, sequence numbers from `from`. */
async function publish(appUrl: string, label: string, from: number, count: number): Promise<Published[]> {
  const out: Published[] = [];
  for (let q = from; q < from + count; q++) {
    const reply = await postMessage(appUrl, 1, big.id, `m${q}`, { s: label, q, t: q * 1000 });
    assert.equal(reply.status, 201, `POST → ${reply.status}`);
    out.push({ q, reply: reply.body });
  }
  return out;
}

/** Publishes before, during and after an outage of node 1; returns the sequence numbers of each phase. */
async function outage(stack: Stack, appUrl: string, label: string) {
  const before = await publish(appUrl, label, 1, 3);
  await stack.faults.killCentrifugoNode(0);
  const during = await publish(appUrl, label, 4, 5);
  await stack.faults.startCentrifugoNode(0);
  const after = await publish(appUrl, label, 9, 3);
  return { before, during, after };
}

describe('chat app on a redis-engine stack with two nodes', () => {
  it('steady state exactly once in every mode; under a killed node outbox loses nothing, api loses the outage', async (t) => {
    await withStack({ engine: 'redis', nodes: 2, consumers, chatApp: { mode: 'api' } }, async (stack) => {
      await loadDataset(stack.endpoints.postgres!.url, dataset);
      const appUrl = stack.endpoints.chatApp!.url;
      const [node1, node2] = stack.endpoints.centrifugo.nodes.map((n) => n.wsUrl) as [string, string];
      // Odd users on node 1, even users on node 2; each fails over to the other node.
      const subscribers = await MemberSubscribers.open(appUrl, online, (u) =>
        u % 2 ? [node1, node2] : [node2, node1],
      );
      const onNode1 = big.memberIds.filter((u) => u % 2 === 1);
      try {
        for (const mode of ['api', 'outbox', 'api_outbox', 'redis_stream', 'nats_jetstream'] as BroadcastMode[]) {
          await t.test(`${mode}: exactly once across two nodes`, async () => {
            const app =
              mode === 'api' ? undefined : await startChatAppServer(appConfigFor(stack, mode), { log: () => {} });
            try {
              await checkExactlyOnce({
                appUrl: app?.url ?? appUrl,
                subscribers,
                online,
                rooms,
                label: `steady-${mode}`,
                perRoom: 2,
              });
            } finally {
              await app?.close();
            }
          });
        }

        await t.test('outbox: node 1 killed mid-stream → nothing lost, nothing duplicated', async () => {
          const app = await startChatAppServer(appConfigFor(stack, 'outbox'), { log: () => {} });
          try {
            const label = 'kill-outbox';
            const { before, during, after } = await outage(stack, app.url, label);
            const all = [...before, ...during, ...after].map((p) => p.q);
            await waitFor(
              () => big.memberIds.every((u) => subscribers.events(u, label).length >= all.length),
              20_000,
              () => `still missing: ${big.memberIds.filter((u) => subscribers.events(u, label).length < all.length)}`,
            );
            await sleep(500);
            for (const u of big.memberIds) {
              assert.deepEqual(
                subscribers
                  .events(u, label)
                  .map((e) => e.q)
                  .sort((a, b) => a! - b!),
                all,
                `user ${u} (node ${u % 2 ? 1 : 2})`,
              );
            }
            const recovered = onNode1.filter((u) => subscribers.events(u, label).some((e) => e.recovered)).length;
            t.diagnostic(
              `outbox: ${recovered}/${onNode1.length} subscribers of the killed node got messages through recovery`,
            );
          } finally {
            await app.close();
          }
        });

        await t.test('api: node 1 killed mid-stream → exactly the outage messages are lost, counted', async () => {
          await subscribers.waitSubscribed(15_000);
          const label = 'kill-api';
          const { before, during, after } = await outage(stack, appUrl, label);
          // The app saw it too: broadcasts during the outage failed after GrandChat's one retry.
          assert.ok(
            during.every((p) => !p.reply.broadcast.ok),
            'outage broadcasts failed',
          );
          assert.ok(
            [...before, ...after].every((p) => p.reply.broadcast.ok),
            'the others succeeded',
          );
          const delivered = [...before, ...after].map((p) => p.q);
          await waitFor(
            () => big.memberIds.every((u) => subscribers.events(u, label).length >= delivered.length),
            20_000,
            () =>
              `still missing: ${big.memberIds.filter((u) => subscribers.events(u, label).length < delivered.length)}`,
          );
          await sleep(1000); // anything late (a "lost" message after all) would show up here
          const outageSet = during.map((p) => p.q);
          let lost = 0;
          for (const u of big.memberIds) {
            const got = new Set(subscribers.events(u, label).map((e) => e.q!));
            const missing = [...before, ...during, ...after].map((p) => p.q).filter((q) => !got.has(q));
            assert.deepEqual(missing, outageSet, `user ${u} lost exactly the outage`);
            assert.equal(subscribers.events(u, label).length, delivered.length, `user ${u}: no duplicate`);
            lost += missing.length;
          }
          assert.equal(lost, outageSet.length * big.memberIds.length);
          t.diagnostic(`api: lost ${lost} deliveries = ${outageSet.length} messages × ${big.memberIds.length} members`);
        });
      } finally {
        subscribers.close();
      }
    });
  });
});
