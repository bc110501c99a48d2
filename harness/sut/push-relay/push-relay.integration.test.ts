/**
 * The relay's API contract and delivery rules against real PostgreSQL, Redis and the push sink: auth,
 * device and topic methods, send_push_notification with every recipient kind, errors that name the field,
 * dead tokens removed after their first 404/410 (proved by the sink's per-token hit counters), Retry-After
 * honoured (timed, with slack), the per-push ledger. One stack for the whole file.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import type { Stack } from '../../stack/index.ts';
import { startTestStack } from '../../stack/testing.ts';
import { bindUserToRoom, chatMessagePush, PushApiError, PushRelayClient, unbindUserFromRoom } from './client.ts';

let stack: Stack;
let relay: string;
let key: string;
let control: string;
let sinkAgent: Agent;

async function call(method: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${relay}/api/${method}`, {
    method: 'POST',
    headers: { 'X-API-Key': key, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? JSON.parse(text) : undefined };
}

async function result<T = Record<string, unknown>>(method: string, body: unknown): Promise<T> {
  const reply = await call(method, body);
  assert.equal(reply.status, 200, reply.text);
  assert.ok(reply.json.result, `${method} answered ${reply.text}`);
  return reply.json.result as T;
}

async function expectError(method: string, body: unknown, code: number, field: string) {
  const reply = await call(method, body);
  assert.equal(reply.json?.error?.code, code, reply.text);
  assert.ok(reply.json.error.message.includes(field), `"${reply.json.error.message}" should name ${field}`);
}

async function sink<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const url = new URL(`${control}/${path}`);
  const response = await sinkAgent.request({
    origin: url.origin,
    path: url.pathname + url.search,
    method: method as 'GET',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  assert.ok(response.statusCode < 300, `sink ${path}: ${response.statusCode} ${text}`);
  return JSON.parse(text) as T;
}

async function ledgerWhenDone(uid: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const reply = await call('push_ledger', { uid });
    const ledger = reply.json?.result;
    if (ledger && ledger.status === 'done') return ledger;
    if (Date.now() > deadline) assert.fail(`push ${uid} not done in ${timeoutMs} ms: ${reply.text}`);
    await sleep(50);
  }
}

const fcmNotification = { fcm: { message: { notification: { title: 'hi', body: 'there' }, data: { k: 'v' } } } };
const webNotification = { webpush: { headers: { TTL: '60' }, payload: { title: 'hi' } } };

before(async () => {
  stack = await startTestStack({
    pushSink: {},
    pushRelay: { retry: { baseDelayMs: 100, rateLimitedInitialDelayMs: 100, maxAttempts: 5 } },
  });
  relay = stack.endpoints.pushRelay!.url;
  key = stack.secrets.centrifugoApiKey;
  control = stack.endpoints.pushSink!.controlUrl!;
  sinkAgent = new Agent({ connect: { ca: readFileSync(stack.endpoints.pushSink!.caFile) } });
});

after(async () => {
  await sinkAgent?.close();
  await stack?.down();
});

describe('push relay API', () => {
  it('checks the API key like Centrifugo: X-API-Key or Authorization: apikey, else bare 401', async () => {
    const none = await fetch(`${relay}/api/device_list`, { method: 'POST', body: '{}' });
    assert.equal(none.status, 401);
    assert.equal(await none.text(), '');
    const wrong = await call('device_list', {}, { 'X-API-Key': 'nope' });
    assert.equal(wrong.status, 401);
    const scheme = await fetch(`${relay}/api/device_list`, {
      method: 'POST',
      headers: { Authorization: `apikey ${key}` },
      body: '{}',
    });
    assert.equal(scheme.status, 200);
    assert.equal((await fetch(`${relay}/health`)).status, 200);
  });

  it('registers, re-registers (whole state replaced), updates, lists and removes devices', async () => {
    const { tokens } = await sink<{ tokens: string[] }>('POST', 'fcm/tokens', { start: 1000, count: 3 });
    const a = await result<{ id: string }>('device_register', {
      provider: 'fcm',
      token: tokens[0],
      platform: 'android',
      user: 'alice',
      topics: ['news', 'sport'],
      meta: { app: '1' },
      locale: 'de-DE',
    });
    // The same token again without id: the same device, state replaced (topics and meta reset).
    const again = await result<{ id: string }>('device_register', {
      provider: 'fcm',
      token: tokens[0],
      platform: 'ios',
      user: 'alice',
    });
    assert.equal(again.id, a.id);
    let list = await result<{ items: Record<string, unknown>[] }>('device_list', {
      filter: { ids: [a.id] },
      include_topics: true,
      include_meta: true,
    });
    assert.deepEqual(list.items[0]!.topics, []);
    assert.equal(list.items[0]!.platform, 'ios');
    assert.equal(list.items[0]!.meta, undefined);
    assert.equal(list.items[0]!.locale, undefined);
    // With an id: that device is rewritten in place, even with another token.
    await result('device_register', {
      id: a.id,
      provider: 'fcm',
      token: tokens[1],
      platform: 'android',
      user: 'bob',
      topics: ['x'],
    });
    list = await result('device_list', { filter: { users: ['bob'] }, include_topics: true });
    assert.equal(list.items.length, 1);
    assert.equal(list.items[0]!.id, a.id);
    assert.equal(list.items[0]!.token, tokens[1]);
    assert.deepEqual(list.items[0]!.topics, ['x']);
    await expectError(
      'device_register',
      { id: 'no-such-id', provider: 'fcm', token: tokens[2], platform: 'android' },
      104,
      'id',
    );

    const b = await result<{ id: string }>('device_register', {
      provider: 'fcm',
      token: tokens[2],
      platform: 'android',
      user: 'bob',
    });
    await result('device_update', {
      users: ['bob'],
      topics_update: { op: 'add', topics: ['y'] },
      meta_update: { meta: { tier: 'gold' } },
      timezone_update: { timezone: 'Europe/Berlin' },
    });
    list = await result('device_list', {
      filter: { users: ['bob'] },
      include_topics: true,
      include_meta: true,
      include_total_count: true,
      limit: 1,
    });
    assert.equal(list.items.length, 1);
    assert.equal((list as { total_count?: number }).total_count, 2);
    const cursor = (list as { next_cursor?: string }).next_cursor;
    assert.ok(cursor, 'a cursor for the second page');
    const page2 = await result<{ items: Record<string, unknown>[]; next_cursor?: string }>('device_list', {
      filter: { users: ['bob'] },
      cursor,
      limit: 1,
    });
    assert.equal(page2.items.length, 1);
    assert.equal(page2.next_cursor, undefined);
    assert.notEqual(page2.items[0]!.id, list.items[0]!.id);
    assert.deepEqual((list.items[0] as { meta?: unknown }).meta, { tier: 'gold' });
    await result('device_update', { ids: [b.id], topics_update: { op: 'set', topics: ['z'] } });
    list = await result('device_list', { filter: { ids: [b.id] }, include_topics: true });
    assert.deepEqual(list.items[0]!.topics, ['z']);
    list = await result('device_list', { filter: { topics: ['z'], providers: ['fcm'], platforms: ['android'] } });
    assert.deepEqual(
      list.items.map((d) => d.id),
      [b.id],
    );

    await result('device_remove', { users: ['bob'] });
    list = await result('device_list', { filter: { ids: [a.id, b.id] } });
    assert.equal(list.items.length, 0);
  });

  it('applies user topics to every device of the user, present and future, and lists them', async () => {
    const { tokens } = await sink<{ tokens: string[] }>('POST', 'fcm/tokens', { start: 2000, count: 2 });
    const d1 = await result<{ id: string }>('device_register', {
      provider: 'fcm',
      token: tokens[0],
      platform: 'android',
      user: 'carol',
    });
    await result('user_topic_update', { user: 'carol', op: 'add', topics: ['chat:messages:1', 'chat:messages:2'] });
    const d2 = await result<{ id: string }>('device_register', {
      provider: 'fcm',
      token: tokens[1],
      platform: 'ios',
      user: 'carol',
    });
    let list = await result<{ items: { id: string }[] }>('device_list', { filter: { topics: ['chat:messages:2'] } });
    assert.deepEqual(list.items.map((d) => d.id).sort(), [d1.id, d2.id].sort());
    await result('user_topic_update', { user: 'carol', op: 'remove', topics: ['chat:messages:2'] });
    list = await result('device_list', { filter: { topics: ['chat:messages:2'] } });
    assert.equal(list.items.length, 0);
    const topics = await result<{ items: { user: string; topic: string }[]; total_count: number }>('user_topic_list', {
      filter: { users: ['carol'] },
      include_total_count: true,
    });
    assert.deepEqual(
      topics.items.map((t) => t.topic),
      ['chat:messages:1'],
    );
    assert.equal(topics.total_count, 1);
    await result('user_topic_update', { user: 'carol', op: 'set', topics: [] });
    await result('device_remove', { users: ['carol'] });
  });

  it('sends to a topic, raw FCM tokens and raw Web Push subscriptions, with the bench receipt fields', async () => {
    await sink('POST', 'stats/reset', {});
    const { tokens } = await sink<{ tokens: string[] }>('POST', 'fcm/tokens', { start: 3000, count: 2 });
    const { subscriptions } = await sink<{ subscriptions: unknown[] }>('POST', 'webpush/subscriptions', {
      start: 3000,
      count: 2,
    });
    await result('device_register', {
      provider: 'fcm',
      token: tokens[0],
      platform: 'android',
      user: 'dan',
      topics: ['room-7'],
    });
    await result('device_register', {
      provider: 'webpush',
      token: JSON.stringify(subscriptions[0]),
      platform: 'web',
      user: 'dan',
    });
    await result('user_topic_update', { user: 'dan', op: 'add', topics: ['room-7'] });

    const before = process.hrtime.bigint() / 1000n;
    const topicPush = await result<{ uid: string }>('send_push_notification', {
      recipient: { filter: { topics: ['room-7'] } },
      notification: { ...fcmNotification, ...webNotification },
    });
    const ledger = await ledgerWhenDone(topicPush.uid);
    assert.equal(ledger.enqueued, 2, 'the device topic and the user topic reach both devices');
    assert.equal(ledger.delivered, 2);
    assert.equal(ledger.queued, 0);
    const receipts = await sink<{ receipts: { provider: string; pushId: string; enqueuedUs: number }[] }>(
      'GET',
      `receipts?pushId=${topicPush.uid}`,
    );
    assert.deepEqual(receipts.receipts.map((r) => r.provider).sort(), ['fcm', 'webpush']);
    for (const r of receipts.receipts) {
      assert.ok(BigInt(r.enqueuedUs) >= before, 'bench_t is the enqueue time on CLOCK_MONOTONIC');
    }

    const raw = await result<{ uid: string }>('send_push_notification', {
      recipient: { fcm_tokens: [tokens[1]] },
      notification: fcmNotification,
      uid: 'raw-fcm-1',
    });
    assert.equal(raw.uid, 'raw-fcm-1');
    // The same uid again is the same push: not enqueued twice.
    await result('send_push_notification', {
      recipient: { fcm_tokens: [tokens[1]] },
      notification: fcmNotification,
      uid: 'raw-fcm-1',
    });
    const web = await result<{ uid: string }>('send_push_notification', {
      recipient: { webpush_tokens: [JSON.stringify(subscriptions[1])] },
      notification: webNotification,
    });
    assert.equal((await ledgerWhenDone(raw.uid)).delivered, 1);
    assert.equal((await ledgerWhenDone(web.uid)).delivered, 1);
    const all = await sink<{ receipts: unknown[] }>('GET', 'receipts?pushId=raw-fcm-1');
    assert.equal(all.receipts.length, 1, 'one receipt for a uid sent twice');
    await result('device_remove', { users: ['dan'] });
  });

  it('delays a push with send_at and cancels a scheduled one', async () => {
    const { tokens } = await sink<{ tokens: string[] }>('POST', 'fcm/tokens', { start: 4000, count: 1 });
    const sendAt = Math.floor(Date.now() / 1000) + 2;
    const delayed = await result<{ uid: string }>('send_push_notification', {
      recipient: { fcm_tokens: tokens },
      notification: fcmNotification,
      send_at: sendAt,
    });
    const scheduled = await call('push_ledger', { uid: delayed.uid });
    assert.equal(scheduled.json.result.status, 'scheduled');
    const cancelled = await result<{ uid: string }>('send_push_notification', {
      recipient: { fcm_tokens: tokens },
      notification: fcmNotification,
      send_at: sendAt + 60,
    });
    await result('cancel_push', { uid: cancelled.uid });
    assert.equal((await call('push_ledger', { uid: cancelled.uid })).json.result.status, 'cancelled');
    await expectError('cancel_push', { uid: cancelled.uid }, 113, 'not scheduled');
    const done = await ledgerWhenDone(delayed.uid);
    assert.equal(done.delivered, 1);
    assert.ok(Date.now() >= sendAt * 1000 - 50, 'not sent before send_at');
  });

  it('answers bad input with code 107 naming the field, and loses nothing it accepted', async () => {
    const aggregateBefore = await result<{ pushes: number }>('push_ledger_aggregate', {});
    const malformed = await call('send_push_notification', '{"recipient": {');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json.error.code, 107);
    assert.match(malformed.json.error.message, /malformed JSON/);
    await expectError('send_push_notification', { notification: fcmNotification }, 107, 'recipient');
    await expectError('send_push_notification', { recipient: {}, notification: fcmNotification }, 107, 'recipient');
    await expectError(
      'send_push_notification',
      { recipient: { fcm_tokens: ['a'], filter: { topics: ['t'] } }, notification: fcmNotification },
      107,
      'exactly one',
    );
    await expectError('send_push_notification', { recipient: { fcm_tokens: ['a'] } }, 107, 'notification');
    await expectError(
      'send_push_notification',
      { recipient: { fcm_tokens: ['a'] }, notification: { fcm: { message: { data: { big: 'x'.repeat(5000) } } } } },
      107,
      'notification.fcm.message',
    );
    await expectError(
      'send_push_notification',
      { recipient: { apns_tokens: ['a'] }, notification: fcmNotification },
      107,
      'apns',
    );
    await expectError(
      'send_push_notification',
      { recipient: { webpush_tokens: ['{}'] }, notification: webNotification },
      107,
      'webpush_tokens[0]',
    );
    await expectError(
      'send_push_notification',
      { recipient: { fcm_tokens: ['a'] }, notification: webNotification },
      107,
      'notification.fcm',
    );
    await expectError('device_register', { provider: 'hms', token: 't', platform: 'android' }, 107, 'provider');
    await expectError(
      'device_register',
      { provider: 'carrier-pigeon', token: 't', platform: 'android' },
      107,
      'provider',
    );
    await expectError('device_update', { topics_update: { op: 'add', topics: ['a'] } }, 107, 'ids or users');
    await expectError('no_such_method', {}, 104, 'unknown method');
    await expectError(
      'send_push_notification',
      { recipient: { fcm_tokens: ['a'] }, notification: fcmNotification, localizations: { de: {} } },
      108,
      'localizations',
    );
    const transport = await call(
      'send_push_notification',
      { notification: {} },
      { 'X-Centrifugo-Error-Mode': 'transport' },
    );
    assert.equal(transport.status, 400);
    assert.equal(transport.json.code, 107);
    const aggregateAfter = await result<{ pushes: number; unaccounted: number }>('push_ledger_aggregate', {});
    assert.equal(aggregateAfter.pushes, aggregateBefore.pushes, 'refused pushes are not enqueued');
    assert.equal(aggregateAfter.unaccounted, 0);

    // Good and bad requests interleaved, concurrently: every good one is delivered, every bad one refused.
    const { tokens } = await sink<{ tokens: string[] }>('POST', 'fcm/tokens', { start: 9000, count: 50 });
    const replies = await Promise.all(
      tokens.flatMap((token, i) => [
        call('send_push_notification', {
          recipient: { fcm_tokens: [token] },
          notification: fcmNotification,
          ledger_scope: 'mixed',
        }),
        call(
          'send_push_notification',
          i % 2
            ? '{"recipient":'
            : { recipient: { fcm_tokens: [token] }, notification: { fcm: { message: { data: { n: i } } } } },
        ),
      ]),
    );
    assert.equal(replies.filter((r) => r.json?.result?.uid).length, 50);
    assert.equal(replies.filter((r) => r.json?.error?.code === 107).length, 50);
    const deadline = Date.now() + 10_000;
    let mixed = await result<{ pushes: number; delivered: number; queued: number; unaccounted: number }>(
      'push_ledger_aggregate',
      { scope: 'mixed' },
    );
    while (mixed.queued > 0 && Date.now() < deadline) {
      await sleep(50);
      mixed = await result('push_ledger_aggregate', { scope: 'mixed' });
    }
    assert.deepEqual([mixed.pushes, mixed.delivered, mixed.queued, mixed.unaccounted], [50, 50, 0, 0]);
  });

  it('removes a dead token after its first 404 / 410 and never sends to it again', async () => {
    await sink('POST', 'stats/reset', {});
    const { tokens } = await sink<{ tokens: string[] }>('POST', 'fcm/tokens', { start: 5000, count: 1, dead: true });
    const { subscriptions } = await sink<{ subscriptions: unknown[] }>('POST', 'webpush/subscriptions', {
      start: 5000,
      count: 1,
      dead: true,
    });
    const webToken = JSON.stringify(subscriptions[0]);
    const fcmDevice = await result<{ id: string }>('device_register', {
      provider: 'fcm',
      token: tokens[0],
      platform: 'android',
      user: 'erin',
      topics: ['dead-test'],
    });
    const webDevice = await result<{ id: string }>('device_register', {
      provider: 'webpush',
      token: webToken,
      platform: 'web',
      user: 'erin',
      topics: ['dead-test'],
    });
    const first = await result<{ uid: string }>('send_push_notification', {
      recipient: { filter: { topics: ['dead-test'] } },
      notification: { ...fcmNotification, ...webNotification },
    });
    const ledger = await ledgerWhenDone(first.uid);
    assert.deepEqual(ledger.failed, { unregistered: 1, webpush_gone: 1 });
    // The devices are gone (removed shortly after the answer).
    const deadline = Date.now() + 5000;
    while (
      (await result<{ items: unknown[] }>('device_list', { filter: { ids: [fcmDevice.id, webDevice.id] } })).items
        .length
    ) {
      assert.ok(Date.now() < deadline, 'dead devices removed from PostgreSQL');
      await sleep(50);
    }
    // Raw-token pushes to the same token and subscription: failed as dead_token, not sent.
    for (let i = 0; i < 3; i++) {
      const f = await result<{ uid: string }>('send_push_notification', {
        recipient: { fcm_tokens: tokens },
        notification: fcmNotification,
      });
      const w = await result<{ uid: string }>('send_push_notification', {
        recipient: { webpush_tokens: [webToken] },
        notification: webNotification,
      });
      assert.deepEqual((await ledgerWhenDone(f.uid)).failed, { dead_token: 1 });
      assert.deepEqual((await ledgerWhenDone(w.uid)).failed, { dead_token: 1 });
    }
    const hits = await sink<{ fcm: { device: number; hits: number }[]; webpush: { device: number; hits: number }[] }>(
      'GET',
      'dead-hits',
    );
    assert.deepEqual(hits.fcm, [{ device: 5000, hits: 1 }], 'the sink saw the dead FCM token exactly once');
    assert.deepEqual(hits.webpush, [{ device: 5000, hits: 1 }], 'and the dead subscription exactly once');
  });

  it('waits for Retry-After on a 429 before trying again', async () => {
    const { tokens } = await sink<{ tokens: string[] }>('POST', 'fcm/tokens', { start: 6000, count: 1 });
    await sink('POST', 'stats/reset', {});
    // Every FCM request in the first 1.5 s answers 429 with Retry-After: 2. The relay's own 429 backoff is
    // 100 ms here, so only Retry-After can make it wait 2 s.
    await sink('PUT', 'faults', {
      windows: [
        { startSeconds: 0, durationSeconds: 1.5, provider: 'fcm', status: 429, probability: 1, retryAfterSeconds: 2 },
      ],
    });
    try {
      const started = Date.now();
      const push = await result<{ uid: string }>('send_push_notification', {
        recipient: { fcm_tokens: tokens },
        notification: fcmNotification,
      });
      const ledger = await ledgerWhenDone(push.uid, 15_000);
      const took = Date.now() - started;
      assert.equal(ledger.delivered, 1);
      assert.equal(ledger.retries, 1);
      assert.ok(took >= 1950, `delivered after ${took} ms: Retry-After (2 s) was not honoured`);
      assert.ok(took < 6000, `delivered after ${took} ms: far later than Retry-After`);
      const stats = await sink<{ requests: { fcm: Record<string, number> } }>('GET', 'stats');
      assert.deepEqual(stats.requests.fcm, { '200': 1, '429': 1 });
    } finally {
      await sink('PUT', 'faults', {});
    }
  });

  it('fails a push that cannot be sent before expire_at as expired', async () => {
    const { tokens } = await sink<{ tokens: string[] }>('POST', 'fcm/tokens', { start: 7000, count: 1 });
    await sink('PUT', 'faults', {
      windows: [
        { startSeconds: 0, durationSeconds: 30, provider: 'fcm', status: 503, probability: 1, retryAfterSeconds: 5 },
      ],
    });
    try {
      const push = await result<{ uid: string }>('send_push_notification', {
        recipient: { fcm_tokens: tokens },
        notification: { ...fcmNotification, expire_at: Math.floor(Date.now() / 1000) + 2 },
      });
      const ledger = await ledgerWhenDone(push.uid);
      assert.deepEqual(ledger.failed, { expired: 1 });
      assert.equal(ledger.delivered, 0);
    } finally {
      await sink('PUT', 'faults', {});
    }
  });

  it("carries GrandChat's push appendix through the typed client: join binds, message pushes, leave unbinds", async () => {
    const client = new PushRelayClient({ url: relay, apiKey: key });
    try {
      const { tokens } = await sink<{ tokens: string[] }>('POST', 'fcm/tokens', { start: 8000, count: 2 });
      const { subscriptions } = await sink<{ subscriptions: unknown[] }>('POST', 'webpush/subscriptions', {
        start: 8000,
        count: 1,
      });
      await client.deviceRegister({ provider: 'fcm', token: tokens[0]!, platform: 'android', user: '42' });
      await client.deviceRegister({ provider: 'fcm', token: tokens[1]!, platform: 'ios', user: '42' });
      await client.deviceRegister({
        provider: 'webpush',
        token: JSON.stringify(subscriptions[0]),
        platform: 'web',
        user: '42',
      });
      await bindUserToRoom(client, 42, 7);
      const t = Number(process.hrtime.bigint() / 1000n);
      const sent = await client.sendPushNotification(
        chatMessagePush({
          roomId: 7,
          roomName: 'Movies',
          content: 'hello',
          uid: 'message_1',
          benchT: t,
          link: 'https://chat.example/rooms/7',
        }),
      );
      assert.equal(sent.uid, 'message_1');
      const ledger = await ledgerWhenDone(sent.uid);
      assert.equal(ledger.enqueued, 3, 'all three devices of the member');
      assert.equal(ledger.delivered, 3, JSON.stringify(ledger));
      const receipts = await sink<{ receipts: { enqueuedUs: number }[] }>('GET', 'receipts?pushId=message_1');
      assert.ok(
        receipts.receipts.every((r) => r.enqueuedUs === t),
        "the message's bench t travels with the push",
      );
      await unbindUserFromRoom(client, 42, 7);
      const after = await client.sendPushNotification(
        chatMessagePush({ roomId: 7, roomName: 'Movies', content: 'anyone?' }),
      );
      assert.equal((await ledgerWhenDone(after.uid)).enqueued, 0, 'a member who left gets nothing');
      await assert.rejects(
        client.sendPushNotification({ recipient: {}, notification: {} }),
        (error: unknown) => error instanceof PushApiError && error.code === 107,
      );
      await client.deviceRemove({ users: ['42'] });
    } finally {
      await client.close();
    }
  });

  it('fans a topic push out page by page to exactly the devices of its topics, direct and through users', async () => {
    // 2,600 devices: three fan-out pages of 1,000. Topic A on every 3rd device and on every 5th user (both of
    // the user's devices), topic B on every 7th device; the push also filters android only. Overlaps on purpose.
    const count = 2600;
    const start = 60_000;
    const { tokens } = await sink<{ tokens: string[] }>('POST', 'fcm/tokens', { start, count });
    const [topicA, topicB] = ['fanout-a', 'fanout-b'];
    const user = (i: number) => `fanout-user-${i % 1300}`;
    const devices = tokens.map((token, i) => ({
      provider: 'fcm',
      token,
      platform: i % 2 ? 'ios' : 'android',
      user: user(i),
      topics: [...(i % 3 === 0 ? [topicA] : []), ...(i % 7 === 0 ? [topicB] : [])],
    }));
    await result('device_register_bulk', { devices });
    for (let u = 0; u < 1300; u += 5)
      await result('user_topic_update', { user: `fanout-user-${u}`, op: 'add', topics: [topicA] });
    const expected = new Set<number>();
    for (let i = 0; i < count; i++) {
      const inTopic = i % 3 === 0 || (i % 1300) % 5 === 0 || i % 7 === 0;
      if (inTopic && i % 2 === 0) expected.add(start + i);
    }
    const { uid } = await result<{ uid: string }>('send_push_notification', {
      recipient: { filter: { topics: [topicA, topicB], platforms: ['android'] } },
      notification: fcmNotification,
    });
    const ledger = await ledgerWhenDone(uid);
    assert.equal(ledger.enqueued, expected.size, JSON.stringify(ledger));
    assert.equal(ledger.delivered, expected.size, JSON.stringify(ledger));
    const receipts = await sink<{ receipts: { device: number }[] }>('GET', `receipts?pushId=${uid}`);
    assert.deepEqual(
      receipts.receipts.map((r) => r.device).sort((a, b) => a - b),
      [...expected].sort((a, b) => a - b),
      'each device of the topics exactly once',
    );
    await result('device_remove', { users: Array.from({ length: 1300 }, (_, u) => `fanout-user-${u}`) });
  });
});
