import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ChatAppTarget, roomIdOfStream, roomStream } from './chat-app.ts';
import type { TargetContext } from './publish-target.ts';

/** A stand-in for the chat app: answers per room id, records what it was sent. */
const received: { path: string; user: string; body: Record<string, unknown> }[] = [];
const server = http.createServer((req, res) => {
  let raw = '';
  req.on('data', (c) => (raw += c));
  req.on('end', () => {
    const body = JSON.parse(raw) as Record<string, unknown>;
    received.push({ path: req.url!, user: String(req.headers['x-user-id']), body });
    const room = Number(/\/api\/rooms\/(\d+)\//.exec(req.url!)?.[1]);
    const reply = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (room === 1)
      reply(201, { id: 10, timings: { creation_ms: 12.5, broadcast_ms: 3.25 }, broadcast: { ok: true, calls: 1 } });
    else if (room === 2) reply(201, { id: 11, timings: { creation_ms: 7 }, broadcast: { ok: true, calls: 3 } });
    else if (room === 3)
      reply(201, {
        id: 12,
        timings: { creation_ms: 5, broadcast_ms: 40 },
        broadcast: { ok: false, calls: 1, errors: ['net_ECONNREFUSED'] },
      });
    else if (room === 5)
      reply(201, {
        id: 13,
        timings: { creation_ms: 4, broadcast_ms: 2, push_ms: 9 },
        broadcast: { ok: true, calls: 1 },
        push: { ok: false, error: 'api_100' },
      });
    else reply(404, { message: 'room not found' });
  });
});

let context: TargetContext;

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  context = {
    centrifugo: { apiUrls: [], apiKey: '' },
    streams: { 'room:1': ['personal:1'], 'room:2': [], 'room:3': [], 'room:4': [], 'room:5': [] },
    options: { url: `http://127.0.0.1:${port}`, authorUserId: 7 },
    runNonce: 'n',
    maxConcurrency: 4,
    requestTimeoutMs: 5000,
  };
});
after(() => server.close());

const message = (s: string, q: number) => ({ marker: { s, q, t: 123_456 }, padding: 'xx' });

describe('chat-app target', () => {
  it('maps rooms to streams and back', () => {
    assert.equal(roomStream(42), 'room:42');
    assert.equal(roomIdOfStream('room:42'), 42);
    assert.equal(roomIdOfStream('broadcast'), undefined);
    assert.equal(roomIdOfStream('room:x'), undefined);
  });

  it('posts the bench marker unchanged as the author, and records the app’s timings', async () => {
    const target = new ChatAppTarget(context);
    try {
      assert.deepEqual(await target.send(message('room:1', 5)), {
        ok: true,
        timings: { creation_duration: 12.5, broadcast_duration: 3.25 },
      });
      const last = received.at(-1)!;
      assert.equal(last.path, '/api/rooms/1/messages');
      assert.equal(last.user, '7');
      assert.deepEqual(last.body.bench, { s: 'room:1', q: 5, t: 123_456 });
      assert.match(String(last.body.content), /xx$/, 'padding travels in the content');

      // outbox-like answer: no broadcast time
      assert.deepEqual(await target.send(message('room:2', 1)), { ok: true, timings: { creation_duration: 7 } });
      // broadcast failed inside the app: accepted (the message exists), the failure counted
      assert.deepEqual(await target.send(message('room:3', 1)), {
        ok: true,
        timings: { creation_duration: 5, broadcast_duration: 40 },
        errors: ['broadcast_net_ECONNREFUSED'],
      });
      assert.deepEqual(await target.send(message('room:4', 1)), { ok: false, code: 'http_404' });
      // with GrandChat's push: the push call is a trend, its failure a counted error
      assert.deepEqual(await target.send(message('room:5', 1)), {
        ok: true,
        timings: { creation_duration: 4, broadcast_duration: 2, push_enqueue_duration: 9 },
        errors: ['push_api_100'],
      });
    } finally {
      await target.close();
    }
  });

  it('refuses streams that are not rooms when created', () => {
    assert.throws(() => new ChatAppTarget({ ...context, streams: { broadcast: [] } }), /not a room stream/);
  });
});
