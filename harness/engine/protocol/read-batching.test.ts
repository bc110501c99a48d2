/**
 * Read batching (read-batching.ts): the decision after a loop turn, and the real thing over loopback — a
 * server in a worker thread (the wait blocks only this thread's loop) trickles frames to 40 sockets, each
 * frame carrying its send time on the same CLOCK_MONOTONIC: every frame arrives once, no receive time is
 * earlier than its send time (the wait can only add to a latency), the trickle is read in far fewer turns
 * than frames, and a lone frame after a quiet spell is read without a wait (nor an end-of-turn check).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { RawWebSocket } from './raw-websocket.ts';
import {
  configureReadBatching,
  FULL_TURN_READS,
  readBatchingStats,
  shouldWaitAfterTurn,
  TRICKLE_GAP_US,
} from './read-batching.ts';

test('a turn waits only when it is part of a trickle and not already a batch', () => {
  assert.equal(shouldWaitAfterTurn(0, 0), false, 'no reads: nothing to batch');
  assert.equal(shouldWaitAfterTurn(1, 12_000), false, 'a lone ping after a quiet spell');
  assert.equal(shouldWaitAfterTurn(1, TRICKLE_GAP_US - 1), true, 'one frame soon after the previous turn');
  assert.equal(shouldWaitAfterTurn(1, TRICKLE_GAP_US), false);
  assert.equal(shouldWaitAfterTurn(2, 1_000_000), true, 'two frames at once: a broadcast is arriving');
  assert.equal(shouldWaitAfterTurn(FULL_TURN_READS - 1, 0), true);
  assert.equal(shouldWaitAfterTurn(FULL_TURN_READS, 0), false, 'already a full batch');
});

test('the window is 0 (off) to 5 ms', () => {
  assert.throws(() => configureReadBatching(-1), /read batch window must be 0-5000 µs, got -1/);
  assert.throws(() => configureReadBatching(5001), /got 5001/);
  assert.throws(() => configureReadBatching(Number.NaN), /got NaN/);
  configureReadBatching(0);
});

/** Lets the loop turn that read the last frame end (its check phase counts the turn). */
const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Plain JS for the worker thread: a WebSocket server that writes stamped frames when told to. */
const SERVER = `
const { parentPort } = require('node:worker_threads');
const net = require('node:net');
const { createHash } = require('node:crypto');
const sockets = [];
const now = () => Number(process.hrtime.bigint() / 1000n);
const server = net.createServer((socket) => {
  let head = '';
  socket.on('data', (data) => {
    if (head.includes('\\r\\n\\r\\n')) return;
    head += data.toString('latin1');
    if (!head.includes('\\r\\n\\r\\n')) return;
    const key = /Sec-WebSocket-Key: (\\S+)/i.exec(head)[1];
    const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ' + accept + '\\r\\n\\r\\n');
    sockets.push(socket);
  });
});
const stamped = (socket) => {
  const payload = Buffer.from(String(now()));
  socket.write(Buffer.concat([Buffer.from([0x81, payload.length]), payload]));
};
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => {
  if (m.type === 'trickle') {
    // One frame per socket, m.gapUs apart (busy-waited: timers are too coarse), as a broadcast arrives.
    for (const socket of sockets) {
      stamped(socket);
      const until = now() + m.gapUs;
      while (now() < until);
    }
  } else if (m.type === 'lone') stamped(sockets[0]);
  else if (m.type === 'stop') { for (const s of sockets) s.destroy(); server.close(); parentPort.close(); }
  parentPort.postMessage({ done: m.type });
});
`;

test('over loopback: a trickle is read in few turns, no latency understated, a lone frame never waits', async () => {
  const server = new Worker(SERVER, { eval: true });
  const replies: Array<{ port?: number; done?: string }> = [];
  let wake: (() => void) | undefined;
  server.on('message', (m) => {
    replies.push(m);
    wake?.();
  });
  const reply = async () => {
    while (replies.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return replies.shift()!;
  };
  const { port } = await reply();
  const SOCKETS = 40;
  const frames: Array<{ sentUs: number; readAtUs: number; socket: number }> = [];
  const sockets: RawWebSocket[] = [];
  configureReadBatching(1000);
  try {
    for (let i = 0; i < SOCKETS; i++) {
      const ws = new RawWebSocket(`ws://127.0.0.1:${port}/`);
      ws.onMessage = (data, start, end, readAtUs) => {
        frames.push({ sentUs: Number(data.toString('latin1', start, end)), readAtUs, socket: i });
      };
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      sockets.push(ws);
    }
    const before = { ...readBatchingStats };
    server.postMessage({ type: 'trickle', gapUs: 250 });
    assert.deepEqual(await reply(), { done: 'trickle' });
    for (let i = 0; i < 100 && frames.length < SOCKETS; i++) await sleep(10);
    await endOfTurn();
    assert.equal(frames.length, SOCKETS, 'every frame arrives');
    assert.deepEqual(
      frames.map((f) => f.socket).sort((a, b) => a - b),
      [...Array(SOCKETS).keys()],
      'once per socket',
    );
    for (const f of frames) assert.ok(f.readAtUs >= f.sentUs, `read at ${f.readAtUs} before sent at ${f.sentUs}`);
    const waits = readBatchingStats.waits - before.waits;
    const turns = readBatchingStats.turns - before.turns;
    assert.ok(waits >= 1, 'the trickle was batched');
    assert.ok(turns <= SOCKETS / 2, `40 frames over ~10 ms read in ${turns} turns`);

    await sleep(100);
    const quiet = { ...readBatchingStats };
    server.postMessage({ type: 'lone' });
    await reply();
    for (let i = 0; i < 100 && frames.length < SOCKETS + 1; i++) await sleep(10);
    await endOfTurn();
    assert.equal(frames.length, SOCKETS + 1);
    assert.equal(readBatchingStats.loneReads - quiet.loneReads, 1, 'a lone frame after a quiet spell');
    assert.equal(readBatchingStats.turns - quiet.turns, 0, 'costs no end-of-turn check');
    assert.equal(readBatchingStats.waits - quiet.waits, 0, 'and is read without a wait');
  } finally {
    configureReadBatching(0);
    for (const ws of sockets) ws.terminate();
    server.postMessage({ type: 'stop' });
    await server.terminate();
  }
});
