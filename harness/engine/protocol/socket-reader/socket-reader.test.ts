/**
 * The native socket reader (socket-reader.c, reader.ts): raw-websocket.test.ts's whole conformance suite
 * again with every read after the upgrade going through it (imported below, so its tests run in this
 * process once the reader is on), then what only the native path has: many sockets in one batch, EOF and
 * resets, a socket cut while its read waits in the same batch, and the build's fallback.
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
import { upgradeResponse } from '../../testing/websocket-upgrade.ts';
import { RawWebSocket } from '../raw-websocket.ts';
import { buildSocketReader, chooseSocketReader, prepareSocketReader } from './build.ts';
import { nativeReadStats, nativeSocketReaderInUse, useNativeSocketReader } from './reader.ts';

/**
 * Where the native reader can exist: Linux with a C compiler (Debian's `nodejs` ships the headers). A Linux
 * machine with a compiler on which it does not build fails the first test below, with the reason.
 */
const linux =
  process.platform === 'linux' &&
  spawnSync('sh', ['-c', `command -v "${process.env.CC || 'cc'}"`], { stdio: 'ignore' }).status === 0;
const built = buildSocketReader();
if ('path' in built) useNativeSocketReader(built.path);
const { collect, frame } = await import('../raw-websocket.test.ts');

test('the native reader builds and loads here (Linux with a C compiler: the running Node’s headers found)', {
  skip: !linux,
}, () => {
  assert.ok('path' in built, 'reason' in built ? built.reason : '');
  assert.ok(nativeSocketReaderInUse());
});

test('the conformance suite above read through the native reader', { skip: !linux }, () => {
  assert.ok(nativeReadStats.reads > 0, 'no read went through the native reader');
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
