/**
 * Conformance of the Protobuf path (protobuf-codec.ts, subscriber-connection.ts with `protocol: 'protobuf'`)
 * against a server that writes exact bytes: `?format=protobuf`, connect + subscribe in one binary frame,
 * replies and pushes batched in one message, a message split across reads (inside a varint too), empty
 * Reply → exactly one empty Command back (only when asked for pongs), fast path (marker scanned from the
 * data) and general path (JSON.parse) in frame order with offsets, recovery on reconnect, a server
 * unsubscribe, and malformed messages: one `protobuf_malformed` error per connection and a reconnect, never
 * a throw. Real Centrifugo: protobuf.integration.test.ts.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../common/errors.ts';
import { upgradeResponse } from '../testing/websocket-upgrade.ts';
import { parseWorkload } from '../workload.ts';
import type { Publication } from './frame-codec.ts';
import {
  encodeProtobufCommands,
  type FieldCursor,
  newFieldCursor,
  readField,
  readVarint,
  varintEnd,
} from './protobuf-codec.ts';
import {
  channelField,
  encodePublication,
  encodeReplies,
  publicationPushMessage,
  type ReplyMessage,
} from './protobuf-replies.ts';
import { SubscriberConnection, type SubscriberListener } from './subscriber-connection.ts';

const CHANNEL = 'personal:u1';

/** A binary server frame (unmasked, FIN). */
function binaryFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const header = n < 126 ? Buffer.from([0x82, n]) : Buffer.from([0x82, 126, n >> 8, n & 0xff]);
  return Buffer.concat([header, payload]);
}

/** Client frames as [opcode, unmasked payload]. */
function clientFrames(bytes: Buffer): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  let at = 0;
  while (at + 6 <= bytes.length) {
    let n = bytes[at + 1]! & 0x7f;
    let header = 2;
    if (n === 126) {
      n = bytes.readUInt16BE(at + 2);
      header = 4;
    }
    const mask = bytes.subarray(at + header, at + header + 4);
    const payload = Buffer.from(bytes.subarray(at + header + 4, at + header + 4 + n));
    for (let i = 0; i < n; i++) payload[i]! ^= mask[i & 3]!;
    out.push([bytes[at]! & 0x0f, payload]);
    at += header + 4 + n;
  }
  return out;
}

/** Fields of one message: number → values (varints as numbers, bytes as Buffers). */
function fields(data: Buffer, start = 0, end = data.length): Map<number, Array<number | Buffer>> {
  const out = new Map<number, Array<number | Buffer>>();
  const f: FieldCursor = newFieldCursor();
  for (let at = start; at < end; at = f.next) {
    assert.ok(readField(data, at, end, f), 'a valid field');
    const value = f.wireType === 0 ? f.value : Buffer.from(data.subarray(f.start, f.end));
    out.set(f.number, [...(out.get(f.number) ?? []), value]);
  }
  return out;
}

/** The commands of one client frame, length-prefixed, as field maps. */
function commands(payload: Buffer): Array<Map<number, Array<number | Buffer>>> {
  const out: Array<Map<number, Array<number | Buffer>>> = [];
  let at = 0;
  while (at < payload.length) {
    const length = readVarint(payload, at, payload.length);
    const start = varintEnd;
    out.push(fields(payload, start, start + length));
    at = start + length;
  }
  return out;
}

interface ServerConnection {
  socket: Socket;
  path: string;
  /** What the client sent so far, as frames. */
  frames: () => Array<[number, Buffer]>;
}

/** A server that completes each handshake and hands the test the raw socket (one per connection). */
async function rawServer() {
  const connections: ServerConnection[] = [];
  const waiting: Array<(c: ServerConnection) => void> = [];
  /** Connections handed to the test so far (`next`). */
  let taken = 0;
  const server = createServer((socket) => {
    let head = '';
    const chunks: Buffer[] = [];
    socket.on('error', () => {});
    socket.on('data', (data: Buffer) => {
      if (head.includes('\r\n\r\n')) {
        chunks.push(data);
        return;
      }
      head += data.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.write(upgradeResponse(head));
      const connection = { socket, path: head.split(' ')[1]!, frames: () => clientFrames(Buffer.concat(chunks)) };
      connections.push(connection);
      const resolve = waiting.shift();
      if (resolve) {
        taken++;
        resolve(connection);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/connection/websocket`,
    connections,
    /** The next connection the test has not seen yet (accepted already, or the next to come). */
    next: (): Promise<ServerConnection> =>
      connections.length > taken
        ? Promise.resolve(connections[taken++]!)
        : new Promise((resolve) => waiting.push(resolve)),
    close: () => {
      for (const c of connections) c.socket.destroy();
      server.close();
    },
  };
}

/** Until `check` holds, or fails naming `what` after 2 s (socket-reader.test.ts uses it too). */
export async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(10);
  assert.ok(check(), `timed out waiting for ${what}`);
}

function recordingListener() {
  const seen: string[] = [];
  const listener: SubscriberListener = {
    connected: () => seen.push('connected'),
    subscribed: (_c, info) => seen.push(`subscribed recovering=${info.wasRecovering} recovered=${info.recovered}`),
    publication: (_c, pub: Publication, _at, recovered) => {
      const bench = (pub.data as { bench?: { q: number } }).bench;
      seen.push(`parsed q=${bench?.q} offset=${pub.offset}${recovered ? ' recovered' : ''}`);
    },
    marker: (_c, data, start, end, q, t) => seen.push(`scanned s=${data.toString('utf8', start, end)} q=${q} t=${t}`),
    unsubscribed: () => seen.push('unsubscribed'),
    error: (_c, code) => seen.push(`error ${code}`),
    terminal: (_c, reason) => seen.push(`terminal ${reason}`),
  };
  return { listener, seen };
}

function connection(url: string, listener: SubscriberListener, reconnect = false): SubscriberConnection {
  return new SubscriberConnection(
    {
      urls: [url],
      userId: 'u1',
      channel: CHANNEL,
      connectionToken: 'CT',
      subscriptionToken: 'ST',
      connectTimeoutMs: 2000,
      reconnect: { enabled: reconnect, minDelayMs: 10, maxDelayMs: 20 },
      protocol: 'protobuf',
    },
    listener,
  );
}

const marker = (q: number) => ({ bench: { s: 'b', q, t: 1000 + q }, pad: 'x'.repeat(q) });
const publication = (q: number, extra: object = {}): ReplyMessage => ({
  push: { channel: CHANNEL, pub: { data: marker(q), offset: q, ...extra } },
});
const CONNECTED: ReplyMessage[] = [
  { id: 1, connect: { client: 'c1', version: '6.9.1', ping: 25, pong: true } },
  { id: 2, subscribe: { recoverable: true, epoch: 'e1' } },
];

test('varints: one byte, many bytes, up to 2^53; truncated or longer than 10 bytes is -1', () => {
  assert.equal(readVarint(Buffer.from([0x05]), 0, 1), 5);
  assert.equal(readVarint(Buffer.from([0xac, 0x02]), 0, 2), 300);
  const big = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]; // 2^53 - 1
  assert.equal(readVarint(Buffer.from(big), 0, big.length), 2 ** 53 - 1);
  assert.equal(varintEnd, big.length);
  assert.equal(readVarint(Buffer.from([0x80, 0x80]), 0, 2), -1);
  assert.equal(readVarint(Buffer.from([0x05]), 0, 0), -1);
  assert.equal(readVarint(Buffer.alloc(11, 0x80), 0, 11), -1);
});

test('commands: length-prefixed Command messages with the fields client.proto numbers', () => {
  const bytes = encodeProtobufCommands([
    { id: 1, connect: { token: 'CT', name: 'centrifugo-bench' } },
    { id: 2, subscribe: { channel: CHANNEL, token: 'ST', recover: true, epoch: 'e1', offset: 300 } },
  ]);
  const [connect, subscribe] = commands(bytes);
  assert.deepEqual(connect!.get(1), [1]);
  const connectBody = connect!.get(4)![0] as Buffer;
  assert.deepEqual(
    fields(connectBody),
    new Map([
      [1, [Buffer.from('CT')]],
      [4, [Buffer.from('centrifugo-bench')]],
    ]),
  );
  assert.deepEqual(subscribe!.get(1), [2]);
  const subscribeBody = fields(subscribe!.get(5)![0] as Buffer);
  assert.deepEqual(subscribeBody.get(1), [Buffer.from(CHANNEL)]);
  assert.deepEqual(subscribeBody.get(2), [Buffer.from('ST')]);
  assert.deepEqual(subscribeBody.get(3), [1]);
  assert.deepEqual(subscribeBody.get(6), [Buffer.from('e1')]);
  assert.deepEqual(subscribeBody.get(7), [300]);
  // A first subscribe carries no recovery fields (false/zero omitted, as proto3 does).
  const plain = fields(
    commands(encodeProtobufCommands([{ id: 2, subscribe: { channel: 'c', token: 't' } }]))[0]!.get(5)![0] as Buffer,
  );
  assert.deepEqual([...plain.keys()], [1, 2]);
});

test('a conversation: ?format=protobuf, one frame out, batched replies, fast and general paths in order, one pong per ping', async () => {
  const server = await rawServer();
  const { listener, seen } = recordingListener();
  const conn = connection(server.url, listener);
  conn.open();
  const c = await server.next();
  await until(() => c.frames().length === 1, 'connect + subscribe');
  assert.match(c.path, /^\/connection\/websocket\?format=protobuf$/);
  const [[opcode, payload]] = c.frames() as [[number, Buffer]];
  assert.equal(opcode, 0x2, 'a binary frame');
  assert.deepEqual(
    commands(payload).map((m) => [...m.keys()]),
    [
      [1, 4],
      [1, 5],
    ],
    'connect and subscribe in one frame',
  );

  c.socket.write(binaryFrame(encodeReplies(CONNECTED)));
  await until(() => seen.includes('subscribed recovering=false recovered=false'), 'subscribed');
  // One message: a plain publication, a ping, a publication with tags and time (its data is still plain),
  // one whose data is not the engine's marker shape, one on another channel (ignored), a second ping.
  const batch = encodeReplies([
    publication(1),
    {},
    publication(2, { tags: { k: 'v' }, time: 1_700_000_000_000 }),
    { push: { channel: CHANNEL, pub: { data: { pad: 'p', bench: { s: 'b', q: 3, t: 1003 } }, offset: 3 } } },
    { push: { channel: 'personal:u2', pub: { data: marker(99), offset: 99 } } },
    {},
  ]);
  c.socket.write(binaryFrame(batch));
  // A message split across three reads: inside the frame header, then inside a reply's length varint.
  const split = binaryFrame(encodeReplies([publication(4), publication(200)]));
  c.socket.write(split.subarray(0, 1));
  await sleep(20);
  c.socket.write(split.subarray(1, 3));
  await sleep(20);
  c.socket.write(split.subarray(3));
  await until(() => seen.length >= 7, 'publications');
  // A lone ping (with the native socket reader on, socket-reader.test.ts, answered in C).
  await sleep(20);
  c.socket.write(binaryFrame(encodeReplies([{}])));
  await until(() => c.frames().length === 4, 'the third pong');
  await sleep(30);
  conn.close();
  server.close();
  assert.deepEqual(seen, [
    'connected',
    'subscribed recovering=false recovered=false',
    'scanned s=b q=1 t=1001',
    'scanned s=b q=2 t=1002',
    'parsed q=3 offset=3',
    'scanned s=b q=4 t=1004',
    'scanned s=b q=200 t=1200',
    'unsubscribed',
  ]);
  assert.equal(conn.offset, 200);
  const pongs = c.frames().slice(1);
  assert.deepEqual(
    pongs.map(([op, p]) => [op, [...p]]),
    [
      [2, [0]],
      [2, [0]],
      [2, [0]],
    ],
    'three pings → exactly three empty Commands',
  );
});

test('no pong when the connect reply does not ask for one', async () => {
  const server = await rawServer();
  const { listener, seen } = recordingListener();
  const conn = connection(server.url, listener);
  conn.open();
  const c = await server.next();
  await until(() => c.frames().length === 1, 'connect + subscribe');
  c.socket.write(
    binaryFrame(
      encodeReplies([
        { id: 1, connect: { client: 'c1', ping: 25 } },
        { id: 2, subscribe: {} },
      ]),
    ),
  );
  await until(() => conn.state === 'subscribed', 'subscribed');
  c.socket.write(binaryFrame(encodeReplies([{}])));
  await sleep(80);
  conn.close();
  server.close();
  assert.equal(c.frames().length, 1);
  assert.ok(!seen.some((e) => e.startsWith('error')));
});

test('recovery on reconnect (recover, epoch, offset), replayed publications, a server unsubscribe resubscribes', async () => {
  const server = await rawServer();
  const { listener, seen } = recordingListener();
  const conn = connection(server.url, listener, true);
  conn.open();
  const first = await server.next();
  await until(() => first.frames().length === 1, 'connect + subscribe');
  first.socket.write(binaryFrame(encodeReplies([...CONNECTED, publication(7)])));
  await until(() => conn.offset === 7, 'offset 7');
  // A close frame 3011 (reconnect), then the TCP connection ends.
  first.socket.end(Buffer.from([0x88, 2, 3011 >> 8, 3011 & 0xff]));
  const second = await server.next();
  await until(() => second.frames().length === 1, 'the second connect + subscribe');
  const subscribe = fields(commands(second.frames()[0]![1])[1]!.get(5)![0] as Buffer);
  assert.deepEqual(subscribe.get(3), [1], 'recover');
  assert.deepEqual(subscribe.get(6), [Buffer.from('e1')], 'epoch');
  assert.deepEqual(subscribe.get(7), [7], 'offset');
  second.socket.write(
    binaryFrame(
      encodeReplies([
        { id: 1, connect: { client: 'c2', ping: 25, pong: true } },
        {
          id: 2,
          subscribe: {
            epoch: 'e1',
            offset: 7,
            was_recovering: true,
            recovered: true,
            publications: [
              { data: marker(8), offset: 8 },
              { data: marker(9), offset: 9 },
            ],
          },
        },
      ]),
    ),
  );
  await until(() => conn.offset === 9, 'recovered publications');
  second.socket.write(binaryFrame(encodeReplies([{ push: { channel: CHANNEL, unsubscribe: { code: 2500 } } }])));
  await until(() => second.frames().length === 2, 'the resubscribe');
  const resubscribe = commands(second.frames()[1]![1]);
  assert.equal(resubscribe.length, 1);
  assert.deepEqual(resubscribe[0]!.get(1), [3], 'a new command id');
  conn.close();
  server.close();
  assert.ok(seen.includes('subscribed recovering=true recovered=true'), seen.join(', '));
  assert.ok(seen.includes('parsed q=8 offset=8 recovered'));
  assert.ok(seen.includes('parsed q=9 offset=9 recovered'));
  assert.ok(seen.includes('error ws_close_3011'));
  assert.ok(seen.includes('error unsubscribe_2500'));
});

test('a connect error reply: temporary reconnects, permanent gives up', async () => {
  const server = await rawServer();
  const { listener, seen } = recordingListener();
  const conn = connection(server.url, listener, true);
  conn.open();
  const c = await server.next();
  await until(() => c.frames().length === 1, 'connect');
  c.socket.write(binaryFrame(encodeReplies([{ id: 1, error: { code: 109, message: 'token expired' } }])));
  await until(() => seen.some((e) => e.startsWith('terminal')), 'terminal');
  conn.close();
  server.close();
  assert.deepEqual(seen, ['error connect_error_109', 'terminal connect refused: 109 token expired']);
});

/** Messages a server must not send, each after a good subscribe. */
const MALFORMED: Array<[string, Buffer]> = [
  ['a reply length past the message', Buffer.from([0x10, 0x08, 0x01])],
  ['a truncated length varint', Buffer.from([0x80])],
  ['a varint longer than 10 bytes', Buffer.concat([Buffer.from([0x0c, 0x08]), Buffer.alloc(11, 0x80)])],
  ['field number 0', Buffer.from([0x02, 0x00, 0x01])],
  ['a group wire type', Buffer.from([0x02, 0x0b, 0x00])],
  ['a push whose length runs past the reply', Buffer.from([0x03, 0x22, 0x10, 0x12])],
  [
    'a publication with a broken field inside',
    (() => {
      const good = encodeReplies([publication(1)]);
      // The last byte of the offset varint gets its continuation bit: truncated inside the publication.
      good[good.length - 1] = 0x81;
      return good;
    })(),
  ],
  ['a subscribe result that does not parse', Buffer.from([0x06, 0x08, 0x02, 0x32, 0x02, 0x4a, 0x80])],
];

test('malformed messages: one protobuf_malformed per connection, a reconnect, never a throw', async () => {
  for (const [what, bytes] of MALFORMED) {
    const server = await rawServer();
    const { listener, seen } = recordingListener();
    const conn = connection(server.url, listener, true);
    conn.open();
    const c = await server.next();
    await until(() => c.frames().length === 1, 'connect');
    const subscribeBroken = what.startsWith('a subscribe result');
    c.socket.write(binaryFrame(encodeReplies(subscribeBroken ? [CONNECTED[0]!] : CONNECTED)));
    // Two bad messages in one read: the second is never looked at, the connection is already cut.
    c.socket.write(Buffer.concat([binaryFrame(bytes), binaryFrame(bytes)]));
    const again = await server.next();
    await until(() => again.frames().length === 1, `${what}: reconnected`);
    conn.close();
    server.close();
    assert.equal(seen.filter((e) => e === 'error protobuf_malformed').length, 1, `${what}: ${seen.join(', ')}`);
    assert.ok(!seen.some((e) => e.startsWith('terminal')), what);
  }
});

test('JSON protocol: a line that is not JSON is one json_malformed and a reconnect, never a throw', async () => {
  const server = await rawServer();
  const { listener, seen } = recordingListener();
  const conn = new SubscriberConnection(
    {
      urls: [server.url],
      userId: 'u1',
      channel: CHANNEL,
      connectionToken: 'CT',
      subscriptionToken: 'ST',
      connectTimeoutMs: 2000,
      reconnect: { enabled: true, minDelayMs: 10, maxDelayMs: 20 },
    },
    listener,
  );
  conn.open();
  const c = await server.next();
  await until(() => c.frames().length === 1, 'connect');
  const text = (s: string) => Buffer.concat([Buffer.from([0x81, s.length]), Buffer.from(s)]);
  c.socket.write(text('{"id":1,"connect":{"client":"c1"}}\n{"id":2,"subscribe":{}}'));
  c.socket.write(text('{"push":{"channel"\n{"push":{'));
  const again = await server.next();
  await until(() => again.frames().length === 1, 'reconnected');
  conn.close();
  server.close();
  assert.equal(seen.filter((e) => e === 'error json_malformed').length, 1, seen.join(', '));
});

test('workload.subscribers.protocol: json by default, protobuf on request, anything else names the field', () => {
  const workload = (protocol?: unknown) =>
    parseWorkload({
      subscribers: { count: 10, ...(protocol === undefined ? {} : { protocol }) },
      publishers: { executor: 'constant-arrival-rate', rate: 1, duration: '1s', preAllocatedVUs: 1 },
    });
  assert.equal(workload().subscribers.protocol, 'json');
  assert.equal(workload('protobuf').subscribers.protocol, 'protobuf');
  assert.throws(
    () => workload('msgpack'),
    (error: unknown) => error instanceof UserError && /subscribers\.protocol/.test(error.message),
  );
});

test('the fast fan-out encoding of a publication push equals encodeReplies', () => {
  for (const pad of ['', 'x'.repeat(200)]) {
    const pub = { data: Buffer.from(`{"bench":{"s":"b","q":1,"t":2},"pad":"${pad}"}`), offset: 77 };
    assert.deepEqual(
      publicationPushMessage(channelField(CHANNEL), Buffer.from(encodePublication(pub))),
      encodeReplies([{ push: { channel: CHANNEL, pub } }]),
    );
  }
});
