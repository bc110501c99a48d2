/**
 * The subscriber worker's whole receive path in isolation, through real loopback sockets: this process runs
 * a real `SubscriberFleet` (raw WebSocket, frame decode, accounting, histograms — everything a subscriber
 * worker does per delivery, minus the per-second IPC); a forked child plays Centrifugo (handshake,
 * connect + subscribe replies, a ping every PING_S per connection, and on each tick one publication frame
 * to every socket, the way a broadcast fans out). CPU is this process's own (`process.cpuUsage`, user and
 * system apart), so the fake server's work is not in the figures.
 *
 *   node --import tsx harness/engine/subscribers/socket-path.bench.ts
 *   SUBSCRIBERS=10000 BURSTS=20 RATE=1 IDLE=10s PING_S=25 node --import tsx …/socket-path.bench.ts
 *   PROTOCOL=protobuf node --import tsx …/socket-path.bench.ts   (Centrifugo's Protobuf protocol; default json)
 *   READ_BATCH_WINDOW_US=1000 node --import tsx …/socket-path.bench.ts   (the workers' read batching; default off)
 *   READER=node|native node --import tsx …/socket-path.bench.ts   (the fleet's socket reader; default auto)
 *
 * Both protocols carry the same publication data bytes (`{"bench":{…},"pad":"…"}`, PAYLOAD_BYTES long in
 * JSON's framing as before); Protobuf frames are what Centrifugo sends (protocol/protobuf-replies.ts).
 *
 * Prints µs of CPU per delivery (user, system), idle CPU per subscriber per second (pings only), and how
 * much CPU one burst of SUBSCRIBERS frames takes and the event-loop delay while bursts arrive (what
 * `scenarios/ramp.ts` is bound by: an event-loop delay p99 over 50 ms makes a run invalid).
 */
import { fork } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseDuration } from '../../common/duration.ts';
import { monoUs } from '../../common/mono-clock.ts';
import { synthesizeAudience } from '../audience.ts';
import { MetricsRecorder } from '../metrics/recorder.ts';
import {
  channelField,
  encodePublication,
  encodeReplies,
  publicationPushMessage,
} from '../protocol/protobuf-replies.ts';
import { configureReadBatching } from '../protocol/read-batching.ts';
import { prepareSocketReader, type SocketReaderMode } from '../protocol/socket-reader/build.ts';
import { nativePingStats, useNativeSocketReader } from '../protocol/socket-reader/reader.ts';
import { upgradeResponse } from '../testing/websocket-upgrade.ts';
import { SubscriberFleet } from './subscriber-fleet.ts';

const subscribers = Number(process.env.SUBSCRIBERS ?? 2000);
const bursts = Number(process.env.BURSTS ?? 30);
const rate = Number(process.env.RATE ?? 2);
const idleMs = parseDuration(process.env.IDLE ?? '10s');
const pingS = Number(process.env.PING_S ?? 25);
const payloadBytes = Number(process.env.PAYLOAD_BYTES ?? 128);
const protocol = process.env.PROTOCOL === 'protobuf' ? 'protobuf' : 'json';
/** The worker's read batching (protocol/read-batching.ts), µs; default 0 = off, as before it existed. */
const readBatchWindowUs = Number(process.env.READ_BATCH_WINDOW_US ?? 0);
/** The fleet's socket reader (`subscribers.reader`): auto (default), native or node. */
const reader = (process.env.READER ?? 'auto') as SocketReaderMode;

if (process.env.SOCKET_PATH_ROLE === 'server') runFakeCentrifugo();
else await runClient();

/** An unmasked server frame: text, or binary for Protobuf payloads. */
function serverFrame(payload: string | Buffer): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const opcode = typeof payload === 'string' ? 0x81 : 0x82;
  const n = bytes.length;
  const header = n < 126 ? Buffer.from([opcode, n]) : Buffer.from([opcode, 126, n >> 8, n & 0xff]);
  return Buffer.concat([header, bytes]);
}

/** The payload of the first (masked) client frame in `data` (as latin1), or undefined when incomplete. */
function clientFrameText(data: Buffer): string | undefined {
  if (data.length < 6) return undefined;
  let n = data[1]! & 0x7f;
  let at = 2;
  if (n === 126) {
    n = data.readUInt16BE(2);
    at = 4;
  }
  if (data.length < at + 4 + n) return undefined;
  const mask = data.subarray(at, at + 4);
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = data[at + 4 + i]! ^ mask[i & 3]!;
  return out.toString('latin1');
}

function runFakeCentrifugo(): void {
  const sockets: Array<{ socket: Socket; channel: string; protobuf: Buffer | undefined }> = [];
  const pad = 'x'.repeat(Math.max(0, payloadBytes - 40));
  const server = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let state: 'handshake' | 'command' | 'live' = 'handshake';
    socket.setNoDelay(true);
    socket.on('error', () => {});
    let protobuf = false;
    socket.on('data', (chunk) => {
      if (state === 'live') return; // pongs
      buffered = Buffer.concat([buffered, chunk]);
      if (state === 'handshake') {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.toString('latin1', 0, end);
        protobuf = /^GET \S*format=protobuf/.test(head);
        socket.write(upgradeResponse(head));
        buffered = buffered.subarray(end + 4);
        state = 'command';
      }
      const text = clientFrameText(buffered);
      if (text === undefined) return;
      // The synthesized audience's channels (personal:u<n>) read the same from JSON and Protobuf bytes.
      const channel = /personal:u[0-9]+/.exec(text)![0];
      socket.write(
        protobuf
          ? serverFrame(
              encodeReplies([
                { id: 1, connect: { client: 'c', version: '6.9.1', ping: pingS, pong: true } },
                { id: 2, subscribe: { recoverable: true, epoch: 'e' } },
              ]),
            )
          : serverFrame(
              `{"id":1,"connect":{"client":"c","version":"6.9.1","ping":${pingS},"pong":true}}\n` +
                `{"id":2,"subscribe":{"recoverable":true,"epoch":"e","positioned":true}}`,
            ),
      );
      state = 'live';
      sockets.push({ socket, channel, protobuf: protobuf ? channelField(channel) : undefined });
      // Pings spread over the interval, like a server's per-connection timers (Protobuf: an empty Reply).
      // The first one within the first interval: starting the interval timer after the random offset
      // left the first PING_S + offset without pings, so a 25 s idle window at PING_S=25 saw few of them
      // and the per-ping cost read as 25–30 µs instead of ~140 (issue 18, engine README).
      const ping = protobuf ? serverFrame(encodeReplies([{}])) : serverFrame('{}');
      const sendPing = () => socket.writable && socket.write(ping);
      setTimeout(
        () => {
          sendPing();
          setInterval(sendPing, pingS * 1000).unref();
        },
        Math.random() * pingS * 1000,
      ).unref();
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    process.send!({ type: 'listening', port: address.port });
  });
  process.on('message', (message: { type: string; q: number }) => {
    if (message.type !== 'burst') return;
    const t = monoUs();
    const data = `{"bench":{"s":"broadcast","q":${message.q},"t":${t}},"pad":"${pad}"}`;
    // Protobuf: the publication encoded once, one concatenation per socket (the JSON side's pace).
    const publication = Buffer.from(encodePublication({ data: Buffer.from(data), offset: message.q }));
    for (const { socket, channel, protobuf } of sockets) {
      socket.write(
        protobuf
          ? serverFrame(publicationPushMessage(protobuf, publication))
          : serverFrame(`{"push":{"channel":"${channel}","pub":{"data":${data},"offset":${message.q}}}}`),
      );
    }
  });
  process.on('disconnect', () => process.exit(0));
}

async function runClient(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: process.execArgv,
    env: { ...process.env, SOCKET_PATH_ROLE: 'server' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  const recorder = new MetricsRecorder();
  configureReadBatching(readBatchWindowUs);
  const readerChoice = prepareSocketReader(reader);
  if (readerChoice.path) useNativeSocketReader(readerChoice.path);
  process.stderr.write(`${readerChoice.description}\n`);
  const fleet = new SubscriberFleet(
    {
      workerId: 'subscribers-1',
      members: synthesizeAudience(subscribers, 'centrifugo-broadcast'),
      firstIndex: 0,
      wsUrls: [`ws://127.0.0.1:${port}/connection/websocket`],
      hmacSecret: 'socket-path-bench-secret-socket-path',
      ramp: { kind: 'rate', perSecond: 2000 },
      connectTimeoutMs: 30_000,
      reconnect: { enabled: false, minDelayMs: 100, maxDelayMs: 100 },
      lostAfterMs: 5000,
      socketsPerSourceAddress: 25_000,
      clientName: 'socket-path-bench',
      nodeNames: ['node-1'],
      owedFrom: 'start',
      protocol,
    },
    recorder,
  );
  await fleet.prepare();
  fleet.startRamp();
  while (fleet.subscribedCount < subscribers) await sleep(100);
  await sleep(1000);
  recorder.snapshot();

  const idleStart = process.cpuUsage();
  const pingsInCBefore = nativePingStats().answered;
  await sleep(idleMs);
  const idle = process.cpuUsage(idleStart);
  const pingsInC = nativePingStats().answered - pingsInCBefore;

  // Count deliveries as the fleet records their latency (one increment: nothing else added to the path).
  let received = 0;
  const recordUs = recorder.recordUs.bind(recorder);
  recorder.recordUs = (name, valueUs) => {
    if (name === 'delivery_latency') received++;
    recordUs(name, valueUs);
  };
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const busyStart = process.cpuUsage();
  for (let q = 1; q <= bursts; q++) {
    const sentAt = performance.now();
    child.send({ type: 'burst', q });
    while (received < q * subscribers) {
      await sleep(20);
      if (performance.now() - sentAt > 30_000) throw new Error(`burst ${q}: ${received} of ${q * subscribers}`);
    }
    await sleep(Math.max(0, sentAt + 1000 / rate - performance.now()));
  }
  const busy = process.cpuUsage(busyStart);
  loopDelay.disable();
  const total = received;
  fleet.snapshot(); // flushes the fleet's hot counters into the recorder
  const delivered = recorder.snapshot().counters.messages_delivered ?? 0;
  // The bursts' window includes (bursts ÷ rate) s of idle time between them: take the idle cost out.
  const windowS = bursts / rate;
  const idlePerS = (idle.user + idle.system) / (idleMs / 1000);
  const us = (value: number) => Math.round(value * 100) / 100;
  console.log(
    JSON.stringify(
      {
        conditions: {
          protocol,
          reader: readerChoice.path ? 'native' : 'node',
          subscribers,
          bursts,
          ratePerS: rate,
          idle: `${idleMs / 1000}s`,
          pingS,
          payloadBytes,
        },
        delivered,
        cpuUsPerDelivery: us((busy.user + busy.system - idlePerS * windowS) / total),
        userUsPerDelivery: us(busy.user / total),
        systemUsPerDelivery: us(busy.system / total),
        idleCpuUsPerSubscriberPerSecond: us(idlePerS / subscribers),
        // The idle window's CPU over the pings it should hold (one per subscriber every PING_S).
        idleCpuUsPerPing: us((idlePerS * pingS) / subscribers),
        pingsAnsweredInC: pingsInC,
        // One burst = SUBSCRIBERS frames: its CPU is what holds the event loop when the frames arrive together.
        burstCpuMs: us((busy.user + busy.system - idlePerS * windowS) / bursts / 1000),
        // As the engine's honesty check sees it (10 ms resolution, minus the resolution).
        eventLoopDelayMs: {
          p99: us(Math.max(0, loopDelay.percentile(99) / 1e6 - 10)),
          max: us(Math.max(0, loopDelay.max / 1e6 - 10)),
        },
      },
      null,
      2,
    ),
  );
  fleet.close();
  child.disconnect();
  setTimeout(() => process.exit(0), 200);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
