import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { type WebSocket, WebSocketServer } from 'ws';
import { classifyClose } from './close-codes.ts';
import { decodeLine, encodeCommands, forEachLine, type Publication } from './frame-codec.ts';
import { TokenMinter } from './jwt.ts';
import { SubscriberConnection, type SubscriberListener } from './subscriber-connection.ts';

test('frames: commands joined by newlines; lines split, trimmed, empty ones skipped', () => {
  assert.equal(
    encodeCommands([
      { id: 1, connect: {} },
      { id: 2, subscribe: { channel: 'c' } },
    ]),
    '{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":"c"}}',
  );
  const lines: string[] = [];
  forEachLine('{}\n{"id":1,"connect":{}}\r\n\n {"push":{}} \n', (l) => lines.push(l));
  assert.deepEqual(lines, ['{}', '{"id":1,"connect":{}}', '{"push":{}}']);
});

test('lines: replies by id, pushes by kind, the empty object is a ping', () => {
  assert.deepEqual(decodeLine('{}'), { kind: 'ping' });
  const reply = decodeLine('{"id":2,"subscribe":{"epoch":"e","offset":3}}');
  assert.equal(reply.kind, 'reply');
  assert.ok(reply.kind === 'reply' && reply.method === 'subscribe' && reply.result?.offset === 3);
  const error = decodeLine('{"id":1,"error":{"code":109,"message":"token expired"}}');
  assert.ok(error.kind === 'reply' && error.error?.code === 109);
  const pub = decodeLine('{"push":{"channel":"personal:1","pub":{"data":{"bench":{"s":"b","q":1,"t":5}},"offset":7}}}');
  assert.ok(pub.kind === 'push' && pub.type === 'pub' && pub.channel === 'personal:1' && pub.body.offset === 7);
});

test('close codes: 3000–3499 reconnect, 3500+ terminal, transport codes reconnect', () => {
  for (const code of [1000, 1001, 1006, 3000, 3001, 3008, 3011, 3012, 3499, 4000, 4499]) {
    assert.equal(classifyClose(code), 'reconnect', String(code));
  }
  for (const code of [3500, 3501, 3503, 3504, 3509, 3999, 4500])
    assert.equal(classifyClose(code), 'terminal', String(code));
});

test('JWTs: HS256, {sub} and {sub, channel}, no exp, verifiable with the secret', async () => {
  const minter = new TokenMinter('a-long-test-secret');
  const key = new TextEncoder().encode('a-long-test-secret');
  const connection = await minter.connection('u7');
  const subscription = await minter.subscription('u7', 'personal:u7');
  assert.deepEqual(decodeProtectedHeader(connection), { alg: 'HS256', typ: 'JWT' });
  assert.deepEqual(decodeJwt(connection), { sub: 'u7' });
  assert.deepEqual(decodeJwt(subscription), { sub: 'u7', channel: 'personal:u7' });
  await jwtVerify(subscription, key);
  await assert.rejects(jwtVerify(connection, new TextEncoder().encode('another-secret')));
});

/**
 * A local server speaking Centrifugo's framing, scripted per connection. It is not a stand-in for
 * Centrifugo in any measurement: it checks what the client sends (the real server is tested in the
 * integration tests).
 */
async function scriptedServer(script: (ws: WebSocket, first: string[], n: number) => void) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const received: string[][] = [];
  let connections = 0;
  server.on('connection', (ws) => {
    const n = connections++;
    const frames: string[] = [];
    received.push(frames);
    ws.on('message', (data) => {
      frames.push(data.toString());
      if (frames.length === 1) script(ws, data.toString().split('\n'), n);
    });
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/connection/websocket`;
  return { url, received, connections: () => connections, close: () => new Promise((r) => server.close(r)) };
}

function recordingListener() {
  const events: string[] = [];
  const pubs: { offset: number | undefined; recovered: boolean }[] = [];
  const listener: SubscriberListener = {
    connected: () => events.push('connected'),
    subscribed: (_c, info) => events.push(`subscribed recovering=${info.wasRecovering} recovered=${info.recovered}`),
    publication: (_c, pub: Publication, _at, recovered) => pubs.push({ offset: pub.offset, recovered }),
    unsubscribed: () => events.push('unsubscribed'),
    error: (_c, code) => events.push(`error ${code}`),
    terminal: (_c, reason) => events.push(`terminal ${reason}`),
  };
  return { listener, events, pubs };
}

const options = (url: string) => ({
  urls: [url],
  userId: 'u1',
  channel: 'personal:u1',
  connectionToken: 'CT',
  subscriptionToken: 'ST',
  connectTimeoutMs: 2000,
  reconnect: { enabled: true, minDelayMs: 20, maxDelayMs: 50 },
});

const pub = (offset: number) =>
  JSON.stringify({ push: { channel: 'personal:u1', pub: { data: { bench: { s: 'b', q: offset, t: 1 } }, offset } } });

test('one frame for connect + subscribe; exactly one {} per server ping, none otherwise; recovery on reconnect', async () => {
  const server = await scriptedServer((ws, first, n) => {
    if (n === 0) {
      ws.send(
        '{"id":1,"connect":{"client":"c1","ping":25,"pong":true}}\n{"id":2,"subscribe":{"recoverable":true,"epoch":"e1","positioned":true}}',
      );
      // Two pings batched with a publication in one frame, then a publication alone, then a lone ping (with
      // the native socket reader on, socket-reader.test.ts, that one is answered in C).
      setTimeout(() => ws.send(`{}\n${pub(1)}\n{}`), 30);
      setTimeout(() => ws.send(pub(2)), 60);
      setTimeout(() => ws.send('{}'), 90);
      setTimeout(() => ws.close(3011, 'force reconnect'), 150);
    } else if (n === 1) {
      const subscribe = JSON.parse(first[1]!).subscribe;
      assert.deepEqual(subscribe, { channel: 'personal:u1', token: 'ST', recover: true, epoch: 'e1', offset: 2 });
      ws.send(
        '{"id":1,"connect":{"client":"c2","ping":25,"pong":true}}\n' +
          `{"id":2,"subscribe":{"recoverable":true,"epoch":"e1","offset":2,"was_recovering":true,"recovered":true,"publications":[${JSON.stringify({ data: {}, offset: 3 })},${JSON.stringify({ data: {}, offset: 4 })}]}}`,
      );
      setTimeout(() => ws.send(pub(5)), 30);
      setTimeout(() => ws.close(3501, 'bad request'), 80);
    }
  });
  const { listener, events, pubs } = recordingListener();
  const conn = new SubscriberConnection(options(server.url), listener);
  conn.open();
  for (let i = 0; i < 100 && !events.some((e) => e.startsWith('terminal')); i++) await sleep(20);
  await sleep(150); // a terminal close must not reconnect
  conn.close();
  await server.close();

  const [first, second] = server.received;
  const firstLines = first![0]!.split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(firstLines, [
    { id: 1, connect: { token: 'CT', name: 'centrifugo-bench' } },
    { id: 2, subscribe: { channel: 'personal:u1', token: 'ST' } },
  ]);
  assert.deepEqual(first!.slice(1), ['{}', '{}', '{}'], 'three pings → exactly three pongs, nothing else');
  assert.deepEqual(second!.slice(1), [], 'no ping on the second connection → no {} sent');
  assert.equal(server.connections(), 2, 'no reconnect after 3501');
  assert.deepEqual(pubs, [
    { offset: 1, recovered: false },
    { offset: 2, recovered: false },
    { offset: 3, recovered: true },
    { offset: 4, recovered: true },
    { offset: 5, recovered: false },
  ]);
  assert.ok(events.includes('subscribed recovering=true recovered=true'));
  assert.ok(events.includes('error ws_close_3011'));
  assert.ok(events.some((e) => e.startsWith('terminal closed with terminal code 3501')));
  assert.equal(conn.offset, 5);
});

test('no {} at all when the connect reply does not ask for pongs', async () => {
  const server = await scriptedServer((ws) => {
    ws.send('{"id":1,"connect":{"client":"c1","ping":25}}\n{"id":2,"subscribe":{}}');
    setTimeout(() => ws.send('{}'), 20);
  });
  const { listener } = recordingListener();
  const conn = new SubscriberConnection(options(server.url), listener);
  conn.open();
  await sleep(150);
  conn.close();
  await server.close();
  assert.deepEqual(server.received[0]!.slice(1), []);
});

test('a refused dial moves on to the next node', async () => {
  const server = await scriptedServer((ws) => ws.send('{"id":1,"connect":{"client":"c1"}}\n{"id":2,"subscribe":{}}'));
  const { listener, events } = recordingListener();
  const conn = new SubscriberConnection(
    { ...options(server.url), urls: ['ws://127.0.0.1:1/connection/websocket', server.url] },
    listener,
  );
  conn.open();
  for (let i = 0; i < 50 && conn.state !== 'subscribed'; i++) await sleep(20);
  conn.close();
  await server.close();
  assert.equal(conn.state, 'closed');
  assert.ok(events.includes('error ws_ECONNREFUSED'), events.join(', '));
  assert.ok(events.some((e) => e.startsWith('subscribed')));
});
