/**
 * A connection whose listener takes the fast path (`marker`): plain publications arrive as byte-scanned
 * markers, everything else — odd-shaped publications, replies, pings batched in the same frame — as
 * before, in frame order, with the recovery offset kept and exactly one pong per ping.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer } from 'ws';
import type { Publication } from './frame-codec.ts';
import { SubscriberConnection, type SubscriberListener } from './subscriber-connection.ts';

const CHANNEL = 'personal:u1';
const plain = (q: number) =>
  JSON.stringify({
    push: { channel: CHANNEL, pub: { data: { bench: { s: 'b', q, t: 1000 + q }, pad: 'x' }, offset: q } },
  });
/** A publication with a field after its offset: not the plain shape, so JSON.parse reads it. */
const withTags = (q: number) =>
  JSON.stringify({
    push: { channel: CHANNEL, pub: { data: { bench: { s: 'b', q, t: 1000 + q } }, offset: q, tags: { k: 'v' } } },
  });

test('fast and general paths interleave in frame order; offsets and pongs as before', async () => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const received: string[] = [];
  server.on('connection', (ws) => {
    ws.on('message', (data) => {
      received.push(data.toString());
      if (received.length > 1) return;
      ws.send('{"id":1,"connect":{"client":"c1","ping":25,"pong":true}}\n{"id":2,"subscribe":{"epoch":"e1"}}');
      setTimeout(() => ws.send(`${plain(1)}\n{}\n${withTags(2)}\n${plain(3)}`), 20);
      setTimeout(() => ws.send(plain(4)), 40);
      setTimeout(() => ws.send(Buffer.from(plain(5)), { binary: true }), 60);
    });
  });
  const seen: string[] = [];
  const listener: SubscriberListener = {
    connected: () => {},
    subscribed: () => seen.push('subscribed'),
    publication: (_c, pub: Publication) => {
      const bench = (pub.data as { bench: { q: number } }).bench;
      seen.push(`parsed q=${bench.q} offset=${pub.offset}`);
    },
    marker: (_c, data, start, end, q, t) => seen.push(`scanned s=${data.toString('utf8', start, end)} q=${q} t=${t}`),
    unsubscribed: () => {},
    error: (_c, code) => seen.push(`error ${code}`),
    terminal: () => {},
  };
  const conn = new SubscriberConnection(
    {
      urls: [`ws://127.0.0.1:${(server.address() as AddressInfo).port}/connection/websocket`],
      userId: 'u1',
      channel: CHANNEL,
      connectionToken: 'CT',
      subscriptionToken: 'ST',
      connectTimeoutMs: 2000,
      reconnect: { enabled: false, minDelayMs: 20, maxDelayMs: 50 },
    },
    listener,
  );
  conn.open();
  for (let i = 0; i < 100 && seen.length < 6; i++) await sleep(10);
  conn.close();
  await new Promise((resolve) => server.close(resolve));
  assert.deepEqual(seen, [
    'subscribed',
    'scanned s=b q=1 t=1001',
    'parsed q=2 offset=2',
    'scanned s=b q=3 t=1003',
    'scanned s=b q=4 t=1004',
    'scanned s=b q=5 t=1005',
  ]);
  assert.equal(conn.offset, 5);
  assert.deepEqual(received.slice(1), ['{}'], 'one ping → one pong');
});
