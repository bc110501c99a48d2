/** Test helper: publish through the chat app and check that every member got every message exactly once. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CreatedMessage } from '../../../engine/index.ts';
import type { Stack } from '../../../stack/index.ts';
import { type ChatAppConfig, type ChatAppConfigInput, ChatAppConfigSchema } from '../config.ts';
import type { BroadcastMode } from '../modes.ts';
import { postMessage } from './chat-client.ts';
import { type MemberSubscribers, waitFor } from './member-subscribers.ts';

/** A chat app config for an in-process app against `stack` (the stack's own app runs as a process). */
export function appConfigFor(
  stack: Stack,
  mode: BroadcastMode,
  extra: Partial<ChatAppConfigInput> = {},
): ChatAppConfig {
  const { endpoints, secrets } = stack;
  return ChatAppConfigSchema.parse({
    port: 0,
    mode,
    databaseUrl: endpoints.postgres!.url,
    centrifugo: {
      apiUrl: endpoints.centrifugo.nodes[0]!.apiUrl,
      apiKey: secrets.centrifugoApiKey,
      hmacSecret: secrets.centrifugoHmacSecret,
    },
    ...(endpoints.redis ? { redisStream: { url: endpoints.redis.url, stream: 'centrifugo:chat' } } : {}),
    ...(endpoints.nats ? { jetstream: { url: endpoints.nats.url, subject: 'chat.centrifugo.api' } } : {}),
    ...extra,
  });
}

export interface Room {
  id: number;
  memberIds: number[];
}

/**
 * Posts `perRoom` messages to each room one after another, then `perRoom` more to each room all at once
 * (writes to one room serialise on its row lock), each with a bench marker `{s: label, q, t}`. Waits until
 * every online member has every message of its rooms, then a little longer, and asserts: each exactly
 * once, nothing for rooms it is not in, the marker unchanged.
 */
export async function checkExactlyOnce(options: {
  appUrl: string;
  subscribers: MemberSubscribers;
  online: number[];
  rooms: Room[];
  label: string;
  perRoom: number;
  authorId?: number;
}): Promise<CreatedMessage[]> {
  const { appUrl, subscribers, label } = options;
  const sentByRoom = new Map<number, number[]>();
  const replies: CreatedMessage[] = [];
  let q = 0;
  const post = async (roomId: number) => {
    const seq = ++q;
    const bench = { s: label, q: seq, t: seq * 1000 };
    const reply = await postMessage(appUrl, options.authorId ?? 1, roomId, `hello ${seq}`, bench);
    assert.equal(reply.status, 201, `POST message → ${reply.status} ${reply.body.message ?? ''}`);
    replies.push(reply.body);
    sentByRoom.set(roomId, [...(sentByRoom.get(roomId) ?? []), seq]);
  };
  for (let i = 0; i < options.perRoom; i++) for (const room of options.rooms) await post(room.id);
  await Promise.all(options.rooms.flatMap((room) => Array.from({ length: options.perRoom }, () => post(room.id))));

  const expected = new Map<number, number[]>();
  for (const userId of options.online) {
    const owed = options.rooms.filter((r) => r.memberIds.includes(userId)).flatMap((r) => sentByRoom.get(r.id) ?? []);
    expected.set(
      userId,
      owed.sort((a, b) => a - b),
    );
  }
  const missing = () =>
    [...expected]
      .map(([userId, owed]) => [userId, owed.length - subscribers.events(userId, label).length] as const)
      .filter(([, n]) => n > 0);
  await waitFor(
    () => missing().length === 0,
    15_000,
    () => `${label}: users still missing messages (user, count): ${JSON.stringify(missing().slice(0, 5))}`,
  );
  await sleep(400); // a duplicate would arrive within this
  for (const [userId, owed] of expected) {
    const events = subscribers.events(userId, label);
    const got = events.map((e) => e.q!).sort((a, b) => a - b);
    assert.deepEqual(got, owed, `${label}: user ${userId} got ${got.length} of ${owed.length}`);
    for (const e of events) {
      assert.equal(e.type, 'message_added');
      assert.deepEqual(e.bench, { s: label, q: e.q, t: e.q! * 1000 }, 'bench marker copied unchanged');
    }
  }
  return replies;
}
