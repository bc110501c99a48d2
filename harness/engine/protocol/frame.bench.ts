/**
 * node --import tsx harness/engine/protocol/frame.bench.ts
 * The subscriber hot path, per publication: decode the line, find the bench marker, update the sequence
 * tracker, record the latency — by JSON.parse (every line that is not a plain publication) and by the byte
 * scan (plain publications, the hot path).
 */
import { SequenceTracker } from '../accounting/sequence-tracker.ts';
import { MetricsRecorder } from '../metrics/recorder.ts';
import { bench } from '../micro-bench.ts';
import { decodeLine, type Publication } from './frame-codec.ts';
import { encodeReplies } from './protobuf-replies.ts';
import { publicationHead, type ScannedPublication, scanPublication } from './publication-scan.ts';
import { SubscriberConnection, type SubscriberListener } from './subscriber-connection.ts';

const padding = 'x'.repeat(90); // ~128-byte publication data, the engine's default payload
const line = (q: number) =>
  `{"push":{"channel":"personal:u4711","pub":{"data":{"bench":{"s":"broadcast","q":${q},"t":${1_234_567_890_123 + q}},"pad":"${padding}"},"offset":${q}}}}`;
const lines = Array.from({ length: 1024 }, (_, i) => line(i + 1));
const batched = lines.slice(0, 8).join('\n');

let sink = 0;
bench('JSON.parse of one publication line', (i) => {
  sink += (JSON.parse(lines[i & 1023]!) as { push: { pub: { offset: number } } }).push.pub.offset;
});
bench('decodeLine (parse + classify)', (i) => {
  const d = decodeLine(lines[i & 1023]!);
  if (d.kind === 'push') sink++;
});

const tracker = new SequenceTracker();
const recorder = new MetricsRecorder();
let q = 0;
bench('JSON.parse + sequence tracker + latency record (general path)', (i) => {
  const d = decodeLine(lines[i & 1023]!);
  if (d.kind !== 'push') return;
  const bench = ((d.body as Publication).data as { bench: { s: string; q: number; t: number } }).bench;
  tracker.record(++q);
  recorder.recordUs('delivery_latency', 1000 + (bench.q & 4095));
});
bench(
  'split a frame of 8 newline-batched publications into lines',
  () => {
    let start = 0;
    while (start < batched.length) {
      let end = batched.indexOf('\n', start);
      if (end === -1) end = batched.length;
      sink += end - start;
      start = end + 1;
    }
  },
  200_000,
);

// The hot path since issue 18: the marker and offset read from the frame's bytes (publication-scan.ts), then
// the same tracker and histogram work as above; JSON.parse stays the path for every other line.
const frames = lines.map((l) => Buffer.from(l));
const head = publicationHead('personal:u4711');
const scanned: ScannedPublication = { streamStart: 0, streamEnd: 0, q: 0, t: 0, offset: 0 };
bench('byte scan of one publication frame (marker + offset)', (i) => {
  const frame = frames[i & 1023]!;
  if (scanPublication(frame, 0, frame.length, head, scanned)) sink += scanned.q;
});
const scanTracker = new SequenceTracker();
let scanQ = 0;
bench('byte scan + sequence tracker + latency record (full hot path)', (i) => {
  const frame = frames[i & 1023]!;
  if (!scanPublication(frame, 0, frame.length, head, scanned)) return;
  scanTracker.record(++scanQ);
  recorder.recordUs('delivery_latency', 1000 + (scanned.q & 4095));
});

// Issue 18 step 3: the connection's own message handler, JSON against Protobuf, on the same publication data
// (the marker scanned from the bytes, then the same tracker and histogram work). The handlers are private:
// reached through a cast, with the connection set up as subscribed, so the bench runs the real code.
const protobufFrames = Array.from({ length: 1024 }, (_, i) =>
  encodeReplies([
    {
      push: {
        channel: 'personal:u4711',
        pub: {
          data: Buffer.from(
            `{"bench":{"s":"broadcast","q":${i + 1},"t":${1_234_567_890_123 + i + 1}},"pad":"${padding}"}`,
          ),
          offset: i + 1,
        },
      },
    },
  ]),
);
interface Handlers {
  scanned: () => number;
  state: string;
  ws: unknown;
  onMessage(ws: unknown, data: Buffer, start: number, end: number, receivedUs: number): void;
  onProtobufMessage(ws: unknown, data: Buffer, start: number, end: number, receivedUs: number): void;
}
function subscribedConnection(protocol: 'json' | 'protobuf'): Handlers {
  const handlerTracker = new SequenceTracker();
  let handlerQ = 0;
  const listener: SubscriberListener = {
    connected: () => {},
    subscribed: () => {},
    publication: () => {},
    marker: (_c, _data, _s, _e, q) => {
      handlerTracker.record(++handlerQ);
      recorder.recordUs('delivery_latency', 1000 + (q & 4095));
    },
    unsubscribed: () => {},
    error: () => {},
    terminal: () => {},
  };
  const options = { urls: ['ws://127.0.0.1:1'], userId: 'u4711', channel: 'personal:u4711', protocol };
  const conn = new SubscriberConnection(
    {
      ...options,
      connectionToken: '',
      subscriptionToken: '',
      connectTimeoutMs: 1,
      reconnect: { enabled: false, minDelayMs: 1, maxDelayMs: 1 },
    },
    listener,
  ) as unknown as Handlers;
  conn.state = 'subscribed';
  conn.ws = { terminated: false };
  conn.scanned = () => handlerQ;
  return conn;
}
const jsonConn = subscribedConnection('json');
bench('JSON: connection handler → scan → tracker + histogram (per message)', (i) => {
  const frame = frames[i & 1023]!;
  jsonConn.onMessage(jsonConn.ws, frame, 0, frame.length, 0);
});
const protobufConn = subscribedConnection('protobuf');
bench('Protobuf: connection handler → walk → scan → tracker + histogram', (i) => {
  const frame = protobufFrames[i & 1023]!;
  protobufConn.onProtobufMessage(protobufConn.ws, frame, 0, frame.length, 0);
});
console.log(
  `bytes per publication frame payload: JSON ${frames[0]!.length}, Protobuf ${protobufFrames[0]!.length} (same data); ` +
    `markers scanned: JSON ${jsonConn.scanned()}, Protobuf ${protobufConn.scanned()} (every call, or the figures lie)`,
);
if (sink === 0) console.log('');
