/**
 * The native socket reader (socket-reader.c, reader.ts): raw-websocket.test.ts's whole conformance suite,
 * and the JSON and Protobuf conversations of protocol.test.ts and protobuf.test.ts (lone pings included, so
 * their pongs are written in C), again with every read after the upgrade going through it (imported below,
 * so their tests run in this process once the reader is on); then what only the native path has: many
 * sockets in one batch, EOF and resets, a socket cut while its read waits in the same batch, pings answered
 * in C and when they must not be, and the build's fallback.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../../common/errors.ts';
import { monoUs } from '../../../common/mono-clock.ts';
import { upgradeResponse } from '../../testing/websocket-upgrade.ts';
import { RawWebSocket } from '../raw-websocket.ts';
import { buildSocketReader, chooseSocketReader, prepareSocketReader } from './build.ts';
import { nativePingStats, nativeReadStats, nativeSocketReaderInUse, useNativeSocketReader } from './reader.ts';

/**
 * Where the native reader can exist: Linux with a C compiler (Debian's `nodejs` ships the headers). A Linux
 * machine with a compiler on which it does not build fails the first test below, with the reason.
 */
const linux =
  process.platform === 'linux' &&
  spawnSync('sh', ['-c', `command -v "${process.env.CC || 'cc'}"`], { stdio: 'ignore' }).status === 0;
const built = buildSocketReader();
if ('path' in built) useNativeSocketReader(built.path);
const { clientFrames, collect, frame, withServer } = await import('../raw-websocket.test.ts');
await import('../protocol.test.ts');
const { until } = await import('../protobuf.test.ts');

test('the native reader builds and loads here (Linux with a C compiler: the running Node’s headers found)', {
  skip: !linux,
}, () => {
  assert.ok('path' in built, 'reason' in built ? built.reason : '');
  assert.ok(nativeSocketReaderInUse());
});

test('the suites above read through the native reader, their lone pings answered in C', { skip: !linux }, () => {
  assert.ok(nativeReadStats.reads > 0, 'no read went through the native reader');
  assert.ok(nativePingStats().answered >= 2, 'the JSON and Protobuf conversations’ lone pings');
});

const JSON_PING = frame(0x1, '{}');
const PROTOBUF_PING = frame(0x2, Buffer.from([0]));

/** Messages handed to the connection's onMessage, as text. */
function messages(ws: RawWebSocket): string[] {
  const got: string[] = [];
  ws.onMessage = (data, start, end) => got.push(data.toString('latin1', start, end));
  return got;
}

test('a lone ping is answered in C: a masked {} (JSON) or empty Command (Protobuf), nothing handed to JavaScript', {
  skip: !linux,
}, async () => {
  for (const [protocol, ping, pong] of [
    ['json', JSON_PING, [0x1, '{}']],
    ['protobuf', PROTOBUF_PING, [0x2, '\0']],
  ] as const) {
    await withServer(async ({ ws, server, received }) => {
      const got = messages(ws);
      ws.answerPingsNatively(protocol);
      const before = nativePingStats().answered;
      for (let i = 1; i <= 3; i++) {
        server.write(ping);
        await until(() => clientFrames(received()).length === i, `pong ${i}`);
      }
      assert.deepEqual(
        clientFrames(received()).map(([op, p]) => [op, p.toString('latin1')]),
        [pong, pong, pong],
      );
      assert.deepEqual(got, [], 'no ping reaches JavaScript');
      assert.equal(nativePingStats().answered - before, 3);
      // On the run clock, as every read's stamp: the dead-connection check compares it with monoUs().
      assert.ok(Math.abs(ws.nativePingAtUs - monoUs()) < 2_000_000, `${ws.nativePingAtUs} vs ${monoUs()}`);
    });
  }
});

test('pings C must not answer go to JavaScript: batched with a frame, inside a half-read frame, another protocol, not asked', {
  skip: !linux,
}, async () => {
  await withServer(async ({ ws, server, received }) => {
    const got = messages(ws);
    ws.answerPingsNatively('json');
    // A ping in the same read as a publication: one read of 4 + n bytes.
    server.write(Buffer.concat([JSON_PING, frame(0x1, 'pub')]));
    await until(() => got.length === 2, 'the batched ping and publication');
    // A frame whose header came in an earlier read, its payload exactly a ping's bytes.
    server.write(Buffer.from([0x81, 0x04]));
    await sleep(30);
    server.write(JSON_PING);
    await until(() => got.length === 3, 'the split frame');
    // The Protobuf protocol's ping on a JSON connection.
    server.write(PROTOBUF_PING);
    await until(() => got.length === 4, 'the binary frame');
    assert.deepEqual(got, ['{}', 'pub', JSON_PING.toString('latin1'), '\0']);
    assert.deepEqual(clientFrames(received()), [], 'JavaScript decides about those (here: it sends nothing)');
  });
  await withServer(async ({ ws, server, received }) => {
    const got = messages(ws);
    server.write(JSON_PING);
    await until(() => got.length === 1, 'the ping, never turned on');
    assert.deepEqual(clientFrames(received()), []);
  });
});

test('while this side’s own write is in flight, pings go to JavaScript; once it is done, C answers again', {
  skip: !linux,
}, async () => {
  await withServer(async ({ ws, server, received }) => {
    const got = messages(ws);
    ws.answerPingsNatively('json');
    // The server stops reading: 16 MB cannot all reach the kernel, so the write stays in flight.
    server.pause();
    const big = 'x'.repeat(16 * 1024 * 1024 - 64);
    ws.send(big);
    server.write(JSON_PING);
    await until(() => got.length === 1, 'the ping while the write is in flight');
    assert.deepEqual(got, ['{}']);
    server.resume();
    await until(() => received().length >= big.length, 'the big frame');
    await sleep(30);
    const before = nativePingStats().answered;
    server.write(JSON_PING);
    await until(() => nativePingStats().answered === before + 1, 'the ping answered in C');
    const frames = clientFrames(received());
    assert.equal(frames.length, 2, 'the big frame, then the pong: nothing interleaved');
    assert.equal(frames[0]![1].length, big.length);
    assert.deepEqual([frames[1]![0], frames[1]![1].toString()], [0x1, '{}']);
    assert.deepEqual(got, ['{}']);
  });
});

/** A server that upgrades every connection and hands the test each server-side socket. */
async function upgradingServer(): Promise<{
  server: Server;
  port: number;
  sockets: Socket[];
  upgraded: () => Promise<void>;
}> {
  const sockets: Socket[] = [];
  let waiting: (() => void) | undefined;
  const server = createServer((socket) => {
    let head = '';
    socket.on('error', () => {});
    socket.on('data', function onData(data: Buffer) {
      head += data.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.write(upgradeResponse(head));
      sockets.push(socket);
      waiting?.();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    sockets,
    upgraded: () => new Promise<void>((resolve) => (waiting = resolve)),
  };
}

async function openClients(port: number, n: number): Promise<RawWebSocket[]> {
  const clients = Array.from({ length: n }, () => new RawWebSocket(`ws://127.0.0.1:${port}/connection/websocket`));
  await Promise.all(clients.map((ws) => once(ws, 'open')));
  return clients;
}

test('a frame to each of 300 sockets at once: every message arrives, read in a few batches', {
  skip: !linux,
}, async () => {
  const { server, port, sockets } = await upgradingServer();
  const clients = await openClients(port, 300);
  const got: string[] = [];
  for (const ws of clients) ws.on('message', (m: string) => got.push(m));
  await sleep(50);
  const before = { ...nativeReadStats };
  for (const [i, socket] of sockets.entries()) socket.write(frame(0x1, `m${i}`));
  while (got.length < 300) await sleep(5);
  const batches = nativeReadStats.batches - before.batches;
  const reads = nativeReadStats.reads - before.reads;
  assert.equal(reads, 300);
  assert.ok(batches <= 10, `${reads} reads took ${batches} batches`);
  assert.deepEqual(got.sort(), sockets.map((_, i) => `m${i}`).sort());
  for (const ws of clients) ws.terminate();
  server.close();
});

test('the server ends the connection: one close (1006), no error; a reset: one ECONNRESET error, then close', {
  skip: !linux,
}, async () => {
  const { server, port, sockets } = await upgradingServer();
  const [ended, reset] = await openClients(port, 2);
  const endedSeen = collect(ended!);
  const resetSeen = collect(reset!);
  sockets[0]!.end();
  sockets[1]!.resetAndDestroy();
  // (events.once would reject on the reset's `error`, which is what this test expects to see.)
  const closed = (ws: RawWebSocket) => new Promise((resolve) => ws.on('close', resolve));
  await Promise.all([closed(ended!), closed(reset!)]);
  await sleep(20);
  assert.deepEqual(endedSeen, { messages: [], errors: [], closes: [1006] });
  assert.deepEqual(resetSeen, { messages: [], errors: ['ECONNRESET'], closes: [1006] });
  server.close();
});

test('a socket cut by an earlier read of the same batch hears nothing more; a new socket reads normally', {
  skip: !linux,
}, async () => {
  const { server, port, sockets } = await upgradingServer();
  const [a, b] = await openClients(port, 2);
  const seen = [collect(a!), collect(b!)];
  // Whichever message is read first cuts the other connection: its read, in the same batch or not, is
  // never delivered.
  a!.on('message', () => b!.terminate());
  b!.on('message', () => a!.terminate());
  sockets[0]!.write(frame(0x1, 'to a'));
  sockets[1]!.write(frame(0x1, 'to b'));
  await Promise.race([once(a!, 'close'), once(b!, 'close')]);
  await sleep(50);
  assert.equal(seen[0]!.messages.length + seen[1]!.messages.length, 1, JSON.stringify(seen));
  // A new connection (likely on the freed fd) reads normally.
  const [next] = await openClients(port, 1);
  const nextSeen = collect(next!);
  sockets.at(-1)!.write(frame(0x1, 'hello'));
  while (nextSeen.messages.length === 0) await sleep(5);
  assert.deepEqual(nextSeen.messages, ['hello']);
  a!.terminate();
  b!.terminate();
  next!.terminate();
  server.close();
});

test("reader 'auto' falls back to Node's reads with the reason; 'native' refuses to run without it", () => {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'socket-reader-'));
  try {
    const failed = buildSocketReader({ cacheDir, compiler: 'false' });
    if (process.platform === 'linux') assert.match('reason' in failed ? failed.reason : '', /false failed|no headers/);
    else assert.ok('reason' in failed);
    // Headers of another Node (libuv's handle layout could differ): never used.
    mkdirSync(path.join(cacheDir, 'include/uv'), { recursive: true });
    writeFileSync(
      path.join(cacheDir, 'include/node_version.h'),
      '#define NODE_MAJOR_VERSION 19\n#define NODE_MINOR_VERSION 0\n#define NODE_PATCH_VERSION 0\n',
    );
    const [major, minor, patch] = process.versions.uv.split('.');
    writeFileSync(
      path.join(cacheDir, 'include/uv/version.h'),
      `#define UV_VERSION_MAJOR ${major}\n#define UV_VERSION_MINOR ${minor}\n#define UV_VERSION_PATCH ${patch}\n`,
    );
    const other = buildSocketReader({ cacheDir, headerDirs: [path.join(cacheDir, 'include')] });
    if (process.platform === 'linux') assert.match('reason' in other ? other.reason : '', /no headers of Node/);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  assert.equal(prepareSocketReader('node').path, undefined);
  const unavailable = { reason: 'cc failed: no such file' };
  assert.deepEqual(chooseSocketReader('auto', unavailable), {
    path: undefined,
    description: "socket reads: Node's (the native reader is unavailable: cc failed: no such file)",
  });
  assert.throws(
    () => chooseSocketReader('native', unavailable),
    (error: unknown) =>
      error instanceof UserError &&
      error.exitCode === 2 &&
      /reader is 'native' but .* unavailable: cc failed: no such file; install a C compiler .* or set reader to 'auto'$/.test(
        error.message,
      ),
  );
});
