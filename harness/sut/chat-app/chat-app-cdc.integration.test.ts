/**
 * The cdc modes through the real chain — PostgreSQL WAL → Debezium (Kafka Connect, outbox event router) →
 * Kafka (KRaft) → Centrifugo's kafka consumer — on one redis-engine stack with two Centrifugo nodes,
 * subscribers on both (one stack for every assertion: its JVMs take seconds to start):
 * - `cdc` (the stack's app process) and `api_cdc` (in-process): every message reaches every online member
 *   exactly once; in `api_cdc` the second copy is dropped by the idempotency key;
 * - Kafka Connect killed (SIGKILL) and restarted mid-stream: nothing lost; Debezium re-sends what it had not
 *   saved an offset for — those duplicates are counted exactly in the topic (records per idempotency key)
 *   and none reaches a subscriber;
 * - Centrifugo node 1 killed mid-stream: nothing lost (the records wait in Kafka; the group hands node 1's
 *   partitions over), nothing duplicated for subscribers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { generateDataset, loadDataset } from '../../seed/index.ts';
import { type Stack, stackSpecForMode } from '../../stack/index.ts';
import { withStack } from '../../stack/testing.ts';
import { startChatAppServer } from './server.ts';
import { postMessage } from './testing/chat-client.ts';
import { appConfigFor, checkExactlyOnce } from './testing/delivery-check.ts';
import { MemberSubscribers, waitFor } from './testing/member-subscribers.ts';

const dataset = generateDataset({
  seed: 16,
  users: 40,
  rooms: [
    { name: 'Big', members: 30 },
    { name: 'Small', members: 6 },
  ],
});
const rooms = dataset.rooms.map((r) => ({ id: r.id, memberIds: r.memberIds }));
const big = rooms[0]!;
const online = Array.from({ length: 36 }, (_, i) => i + 1);
const TOPIC = 'postgres.public.chat_cdc';

/** Posts `count` messages to the Big room one after another, sequence numbers from `from`. */
async function publish(appUrl: string, label: string, from: number, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let q = from; q < from + count; q++) {
    const reply = await postMessage(appUrl, 1, big.id, `m${q}`, { s: label, q, t: q * 1000 });
    assert.equal(reply.status, 201, `POST → ${reply.status}`);
    out.push(q);
  }
  return out;
}

/** Every Big-room member got exactly `all` under `label` (waits up to `timeoutMs` for stragglers). */
async function assertExactlyOnce(subscribers: MemberSubscribers, label: string, all: number[], timeoutMs: number) {
  await waitFor(
    () => big.memberIds.every((u) => subscribers.events(u, label).length >= all.length),
    timeoutMs,
    () => `still missing: ${big.memberIds.filter((u) => subscribers.events(u, label).length < all.length)}`,
  );
  await sleep(1000); // a duplicate would arrive within this
  for (const u of big.memberIds) {
    const got = subscribers
      .events(u, label)
      .map((e) => e.q!)
      .sort((a, b) => a - b);
    assert.deepEqual(got, all, `user ${u} (node ${u % 2 ? 1 : 2})`);
  }
}

/** Every record of the topic, by idempotency key: what Debezium wrote to Kafka, duplicates included. */
async function topicRecordsByKey(stack: Stack): Promise<{ total: number; byKey: Map<string, number> }> {
  const kafka = new Kafka({ brokers: [stack.endpoints.kafka!.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(TOPIC);
  await admin.disconnect();
  const total = offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
  const byKey = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `test-reader-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  let seen = 0;
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen++;
      assert.equal(message.headers?.['centrifugo-method']?.toString(), 'broadcast', 'method header from the row');
      const key = (JSON.parse(message.value!.toString()) as { idempotency_key: string }).idempotency_key;
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
    },
  });
  await waitFor(
    () => seen >= total,
    20_000,
    () => `read ${seen} of ${total} records`,
  );
  await consumer.disconnect();
  return { total, byKey };
}

async function cdcRowCount(stack: Stack): Promise<number> {
  const client = new pg.Client({ connectionString: stack.endpoints.postgres!.url });
  await client.connect();
  try {
    return Number((await client.query('SELECT count(*) AS n FROM chat_cdc')).rows[0].n);
  } finally {
    await client.end();
  }
}

describe('cdc modes through PostgreSQL → Debezium → Kafka → Centrifugo', () => {
  it('exactly once in cdc and api_cdc; Connect restart and node kill lose nothing; duplicates counted', async (t) => {
    const started = performance.now();
    await withStack({ ...stackSpecForMode('cdc', 'redis', { nodes: 2 }) }, async (stack) => {
      t.diagnostic(
        `stack (2 Centrifugo nodes, Redis, PostgreSQL, Kafka, Kafka Connect) up in ${((performance.now() - started) / 1000).toFixed(1)}s`,
      );
      assert.ok(stack.versions.kafka && stack.versions.debezium, 'run.json names Kafka and Debezium');
      await loadDataset(stack.endpoints.postgres!.url, dataset);
      const appUrl = stack.endpoints.chatApp!.url;
      const [node1, node2] = stack.endpoints.centrifugo.nodes.map((n) => n.wsUrl) as [string, string];
      const subscribers = await MemberSubscribers.open(appUrl, online, (u) =>
        u % 2 ? [node1, node2] : [node2, node1],
      );
      try {
        await t.test('cdc (the stack’s app process): exactly once, no broadcast call in the app', async () => {
          const replies = await checkExactlyOnce({ appUrl, subscribers, online, rooms, label: 'cdc', perRoom: 3 });
          for (const reply of replies) assert.equal(reply.timings.broadcast_ms, undefined, 'Centrifugo broadcasts');
        });

        await t.test('api_cdc: exactly once (the idempotency key drops the second copy)', async () => {
          const app = await startChatAppServer(appConfigFor(stack, 'api_cdc'), { log: () => {} });
          try {
            const replies = await checkExactlyOnce({
              appUrl: app.url,
              subscribers,
              online,
              rooms,
              label: 'api_cdc',
              perRoom: 3,
            });
            for (const reply of replies) assert.equal(reply.broadcast.ok, true, JSON.stringify(reply.broadcast));
          } finally {
            await app.close();
          }
        });

        await t.test(
          'Kafka Connect killed and restarted mid-stream: nothing lost, duplicates counted exactly',
          async () => {
            const label = 'restart-connect';
            const before = await publish(appUrl, label, 1, 3);
            const restarting = stack.faults.restartService!('kafka-connect', { kill: true });
            const during = await publish(appUrl, label, 4, 5);
            await restarting;
            const after = await publish(appUrl, label, 9, 3);
            await assertExactlyOnce(subscribers, label, [...before, ...during, ...after], 60_000);

            const rows = await cdcRowCount(stack);
            const { total, byKey } = await topicRecordsByKey(stack);
            const duplicates = [...byKey.values()].reduce((sum, n) => sum + n - 1, 0);
            assert.equal(byKey.size, rows, 'every chat_cdc row reached Kafka');
            assert.equal(total, rows + duplicates, 'records = rows + re-sent duplicates');
            t.diagnostic(
              `restart-connect: ${rows} rows, ${total} records in Kafka: ${duplicates} re-sent by Debezium after ` +
                'the crash (offsets not yet saved), 0 delivered twice',
            );
          },
        );

        await t.test('Centrifugo node 1 killed mid-stream: nothing lost, nothing duplicated', async () => {
          await subscribers.waitSubscribed(15_000);
          const label = 'kill-node';
          const before = await publish(appUrl, label, 1, 3);
          await stack.faults.killCentrifugoNode(0);
          const during = await publish(appUrl, label, 4, 5);
          await stack.faults.startCentrifugoNode(0);
          const after = await publish(appUrl, label, 9, 3);
          // Node 1's partitions move to node 2 once the group notices (session timeout) or node 1 rejoins.
          await assertExactlyOnce(subscribers, label, [...before, ...during, ...after], 90_000);
        });
      } finally {
        subscribers.close();
      }
    });
  });
});
