/**
 * One process of the comparison fleet for `sdk-comparison.bench.ts`: users u<first>..u<last> connected
 * with the official centrifuge-js SDK (over `ws`), each subscribed to its `personal:<user>` channel, the way
 * a user would script a load test in an afternoon. It counts publications and reads the bench marker's
 * sequence number (the least a load test does per delivery), and answers the parent over IPC:
 * `{type:'count'}` → `{type:'count', delivered, subscribed, rssBytes}`; `{type:'stop'}` → disconnect and exit.
 *
 * Environment: SDK_FLEET_URL, SDK_FLEET_SECRET, SDK_FLEET_FIRST, SDK_FLEET_COUNT, SDK_FLEET_PROTOCOL
 * (json, the default; protobuf: the SDK's own Protobuf build, where a publication's data arrives as bytes —
 * the publisher's JSON — and is decoded here, as a user of that build would).
 */
import { Centrifuge as CentrifugeJson } from 'centrifuge';
import { Centrifuge as CentrifugeProtobuf } from 'centrifuge/build/protobuf';
import WebSocket from 'ws';
import { TokenMinter } from '../protocol/jwt.ts';

const url = process.env.SDK_FLEET_URL!;
const minter = new TokenMinter(process.env.SDK_FLEET_SECRET!);
const first = Number(process.env.SDK_FLEET_FIRST);
const count = Number(process.env.SDK_FLEET_COUNT);
const protobuf = process.env.SDK_FLEET_PROTOCOL === 'protobuf';
const Centrifuge = protobuf ? CentrifugeProtobuf : CentrifugeJson;
const utf8 = new TextDecoder();

let delivered = 0;
let subscribed = 0;
let sequenceSum = 0;
const clients: Array<CentrifugeJson | CentrifugeProtobuf> = [];

async function connectOne(user: number): Promise<void> {
  const userId = `u${user}`;
  const channel = `personal:${userId}`;
  const client = new Centrifuge(url, { websocket: WebSocket, token: await minter.connection(userId) });
  const sub = client.newSubscription(channel, { token: await minter.subscription(userId, channel) });
  sub.on('subscribed', () => subscribed++);
  sub.on('publication', (ctx) => {
    delivered++;
    const data = (protobuf ? JSON.parse(utf8.decode(ctx.data as Uint8Array)) : ctx.data) as { bench?: { q?: number } };
    sequenceSum += data.bench?.q ?? 0;
  });
  sub.subscribe();
  client.connect();
  clients.push(client);
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'count') {
    process.send?.({ type: 'count', delivered, subscribed, rssBytes: process.memoryUsage.rss(), sequenceSum });
  } else if (message.type === 'stop') {
    for (const client of clients) client.disconnect();
    setTimeout(() => process.exit(0), 200);
  }
});

process.send?.({ type: 'ready', rssBytes: process.memoryUsage.rss() });
// The same pace the engine's fleet uses by default: batches, so the dial burst does not time out.
for (let user = first; user < first + count; user += 100) {
  const batch: Promise<void>[] = [];
  for (let u = user; u < Math.min(first + count, user + 100); u++) batch.push(connectOne(u));
  await Promise.all(batch);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
