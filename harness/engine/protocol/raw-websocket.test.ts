/**
 * Conformance of the raw frame path (raw-websocket.ts) against a server that writes exact bytes: frames
 * split across reads, many in one read, fragmented messages, ping → pong, close codes, and frames a server
 * must not send (oversized, masked, reserved bits, unknown opcodes): one error per connection, never a throw.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { upgradeResponse } from '../testing/websocket-upgrade.ts';
import { RawWebSocket } from './raw-websocket.ts';

/** A server frame (unmasked). */
export function frame(opcode: number, payload: Buffer | string, fin = true, rsv = 0): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const n = body.length;
  const header = n < 126 ? Buffer.from([0, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 65536) {
    header[1] = 126;
    header.writeUInt16BE(n, 2);
  } else if (n >= 65536) {
    header[1] = 127;
    header.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    header.writeUInt32BE(n >>> 0, 6);
  }
  header[0] = (fin ? 0x80 : 0) | rsv | opcode;
  return Buffer.concat([header, body]);
}

/** Client frames received by the server, unmasked: [opcode, payload]. */
export function clientFrames(bytes: Buffer): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  let at = 0;
  while (at + 6 <= bytes.length) {
    assert.ok(bytes[at + 1]! & 0x80, 'client frames are masked');
    let n = bytes[at + 1]! & 0x7f;
    let header = 2;
    if (n === 126) {
      n = bytes.readUInt16BE(at + 2);
      header = 4;
    } else if (n === 127) {
      n = bytes.readUInt32BE(at + 2) * 2 ** 32 + bytes.readUInt32BE(at + 6);
      header = 10;
    }
    const mask = bytes.subarray(at + header, at + header + 4);
    const payload = Buffer.from(bytes.subarray(at + header + 4, at + header + 4 + n));
    for (let i = 0; i < n; i++) payload[i]! ^= mask[i & 3]!;
    out.push([bytes[at]! & 0x0f, payload]);
    at += header + 4 + n;
  }
  return out;
}

/** A server that completes the handshake, then lets the test write bytes and read what the client sent. */
export async function withServer(
  run: (ctx: { ws: RawWebSocket; server: Socket; received: () => Buffer }) => Promise<void>,
  maxPayloadBytes?: number,
): Promise<void> {
  let serverSide: ((s: Socket) => void) | undefined;
  const accepted = new Promise<Socket>((resolve) => {
    serverSide = resolve;
  });
  const chunks: Buffer[] = [];
  const server = createServer((socket) => {
    let head = '';
    const onData = (data: Buffer) => {
      if (head.includes('\r\n\r\n')) {
        chunks.push(data);
        return;
      }
      head += data.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.write(upgradeResponse(head));
      serverSide!(socket);
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const ws = new RawWebSocket(`ws://127.0.0.1:${port}/connection/websocket`, { maxPayloadBytes });
  try {
    await once(ws, 'open');
    const socket = await accepted;
    await run({ ws, server: socket, received: () => Buffer.concat(chunks) });
  } finally {
    ws.terminate();
    server.close();
  }
}

export function collect(ws: RawWebSocket): { messages: string[]; errors: string[]; closes: number[] } {
  const out = { messages: [] as string[], errors: [] as string[], closes: [] as number[] };
  ws.on('message', (m: string) => out.messages.push(m));
  ws.on('error', (e: NodeJS.ErrnoException) => out.errors.push(e.code ?? 'error'));
  ws.on('close', (code: number) => out.closes.push(code));
  return out;
}

test('many frames in one read, and frames split across reads (even inside the header)', async () => {
  await withServer(async ({ ws, server }) => {
    const got = collect(ws);
    const big = 'y'.repeat(70_000); // 64-bit length
    const mid = 'x'.repeat(300); // 16-bit length
    const bytes = Buffer.concat([frame(1, '{"a":1}'), frame(1, mid), frame(1, big), frame(2, '{"b":2}')]);
    server.write(bytes.subarray(0, 12)); // the first frame and part of the second's header
    await sleep(20);
    for (let at = 12; at < bytes.length; at += 7_001) {
      server.write(bytes.subarray(at, Math.min(bytes.length, at + 7_001)));
      await sleep(2);
    }
    server.write(Buffer.concat([frame(1, '1'), frame(1, '2'), frame(1, '3')]));
    await sleep(50);
    assert.deepEqual(got.messages, ['{"a":1}', mid, big, '{"b":2}', '1', '2', '3']);
    assert.deepEqual(got.errors, []);
  });
});

test('a fragmented message is joined, with a ping between its fragments answered at once', async () => {
  await withServer(async ({ ws, server, received }) => {
    const got = collect(ws);
    server.write(Buffer.concat([frame(1, '{"push":', false), frame(9, 'hi'), frame(0, '{"x":', false)]));
    await sleep(10);
    server.write(frame(0, '1}}'));
    await sleep(50);
    assert.deepEqual(got.messages, ['{"push":{"x":1}}']);
    const sent = clientFrames(received());
    assert.deepEqual(
      sent.map(([op, p]) => [op, p.toString()]),
      [[0xa, 'hi']],
    );
  });
});

test('sent text frames are masked and decode to the text', async () => {
  await withServer(async ({ ws, received }) => {
    ws.send('{"id":1,"connect":{}}');
    ws.send('z'.repeat(200));
    await sleep(50);
    assert.deepEqual(
      clientFrames(received()).map(([op, p]) => [op, p.toString()]),
      [
        [1, '{"id":1,"connect":{}}'],
        [1, 'z'.repeat(200)],
      ],
    );
  });
});

test('a close frame: its code reaches the close event and is echoed', async () => {
  await withServer(async ({ ws, server, received }) => {
    const got = collect(ws);
    const payload = Buffer.concat([Buffer.from([0x0b, 0xc4]), Buffer.from('shutdown')]); // 3012
    server.write(frame(8, payload));
    await sleep(30);
    server.end();
    await sleep(30);
    assert.deepEqual(got.closes, [3012]);
    const sent = clientFrames(received());
    assert.equal(sent[0]?.[0], 8);
    assert.equal(sent[0]?.[1].readUInt16BE(0), 3012);
  });
});

const malformed: Array<[string, Buffer, string]> = [
  ['reserved bits', frame(1, 'x', true, 0x40), 'WS_ERR_UNEXPECTED_RSV'],
  ['a masked server frame', Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x41]), 'WS_ERR_UNEXPECTED_MASK'],
  ['an unknown opcode', frame(3, 'x'), 'WS_ERR_INVALID_OPCODE'],
  ['a continuation without a message', frame(0, 'x'), 'WS_ERR_INVALID_OPCODE'],
  ['a fragmented control frame', frame(9, 'x', false), 'WS_ERR_EXPECTED_FIN'],
  ['a control frame over 125 bytes', frame(9, 'p'.repeat(126)), 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
  ['an oversized frame', frame(1, 'o'.repeat(2000)), 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'],
];

for (const [what, bytes, code] of malformed) {
  test(`${what}: one ${code} error, the connection closed (1006), nothing thrown`, async () => {
    await withServer(async ({ ws, server, received }) => {
      const got = collect(ws);
      server.write(Buffer.concat([frame(1, 'before'), bytes, frame(1, 'after')]));
      await sleep(50);
      assert.deepEqual(got.messages, ['before']);
      assert.deepEqual(got.errors, [code]);
      assert.deepEqual(got.closes, [1006]);
      const sent = clientFrames(received());
      // The client says why before it goes (1002 protocol error, 1009 too big).
      assert.equal(sent.at(-1)?.[0], 8);
      assert.equal(sent.at(-1)?.[1].readUInt16BE(0), code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : 1002);
    }, 1024);
  });
}

test('a refused upgrade is one WS_ERR_HANDSHAKE error and a close', async () => {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const ws = new RawWebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  const got = collect(ws);
  // Not events.once: it rejects on the 'error' this test expects.
  await new Promise((resolve) => ws.once('close', resolve));
  server.close();
  assert.deepEqual(got.errors, ['WS_ERR_HANDSHAKE']);
  assert.deepEqual(got.closes, [1006]);
});
