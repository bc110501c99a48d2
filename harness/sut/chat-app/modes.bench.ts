/**
 * GrandChat's latency table, measured (reference/centrifugo.md §7 "Latency table"): GrandChat's dataset,
 * one online subscriber per room (the last member of each room's list: the last channel of its broadcast),
 * messages posted one at a time, each after the previous one was delivered; per mode and room, the medians of
 * creation (app: request → commit), broadcast (app: the after-commit call) and delivery (POST sent →
 * publication received by the room's subscriber), ms.
 *
 *   node --import tsx harness/sut/chat-app/modes.bench.ts [--engine memory|redis] [--modes api,outbox,…,cdc,api_cdc]
 *        [--messages 20] [--users 100000] [--channels-per-call 1000] [--gap-ms 100]
 *
 * A short smoke version of the `compare` the lead will build on the engine; not a throughput benchmark.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { monoUs } from '../../common/mono-clock.ts';
import { audienceFor, GRANDCHAT_ROOMS, generateDataset, loadDataset } from '../../seed/index.ts';
import { stackSpecForMode } from '../../stack/index.ts';
import { prepareChatApp, withStack } from '../../stack/testing.ts';
import { BROADCAST_MODES, type BroadcastMode } from './modes.ts';
import { startChatAppServer } from './server.ts';
import { postMessage } from './testing/chat-client.ts';
import { appConfigFor } from './testing/delivery-check.ts';
import { MemberSubscribers, waitFor } from './testing/member-subscribers.ts';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'memory' },
    modes: { type: 'string', default: 'api,outbox,api_outbox,redis_stream,nats_jetstream' },
    messages: { type: 'string', default: '20' },
    users: { type: 'string', default: '100000' },
    'channels-per-call': { type: 'string' },
    'gap-ms': { type: 'string', default: '100' },
  },
});
const engine = values.engine as 'memory' | 'redis';
const modes = values.modes.split(',') as BroadcastMode[];
for (const mode of modes) {
  if (!BROADCAST_MODES.includes(mode)) throw new Error(`unknown mode ${mode}`);
}
const messages = Number(values.messages);
const users = Number(values.users);
const channelsPerCall = values['channels-per-call'] ? Number(values['channels-per-call']) : undefined;
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : Number.NaN);

const dataset = generateDataset({
  seed: 1,
  users,
  rooms: GRANDCHAT_ROOMS.map((r) => ({ name: r.name, members: Math.min(r.members, users) })),
});
const audience = audienceFor(dataset, { kind: 'one-per-room' });
const consumers = modes.flatMap((mode) => stackSpecForMode(mode, engine).consumers);
const unique = consumers.filter((c, i) => consumers.findIndex((d) => d.name === c.name) === i);

await withStack(
  {
    engine,
    consumers: unique,
    // The cdc modes' rows reach Kafka through Kafka Connect, which only the app's mode would otherwise bring.
    services: modes.some((m) => m.endsWith('cdc')) ? ['postgres', 'kafka-connect'] : ['postgres'],
    centrifugo: { logLevel: 'warn' },
  },
  async (stack) => {
    await loadDataset(stack.endpoints.postgres!.url, dataset);
    const rows: string[] = [];
    for (const mode of modes) {
      const app = await startChatAppServer(appConfigFor(stack, mode, { channelsPerCall }));
      const subscribers = await MemberSubscribers.open(
        app.url,
        audience.map((m) => Number(m.userId)),
        () => [stack.endpoints.centrifugo.nodes[0]!.wsUrl],
      );
      try {
        for (const [index, room] of dataset.rooms.entries()) {
          const listener = Number(audience[index]!.userId);
          const label = `${mode}-${room.id}`;
          const creation: number[] = [];
          const broadcast: number[] = [];
          for (let q = 1; q <= messages; q++) {
            const reply = await postMessage(app.url, 1, room.id, `bench ${q}`, { s: label, q, t: monoUs() });
            creation.push(reply.body.timings.creation_ms);
            if (reply.body.timings.broadcast_ms !== undefined) broadcast.push(reply.body.timings.broadcast_ms);
            // One message at a time, like GrandChat's measurement: the next waits for this one's delivery.
            await waitFor(() => subscribers.events(listener, label).length >= q, 60_000);
            await sleep(Number(values['gap-ms']));
          }
          rows.push(
            [
              room.memberIds.length,
              engine,
              mode,
              median(creation).toFixed(1),
              broadcast.length ? median(broadcast).toFixed(1) : '-',
              median(subscribers.latencies(listener, label)).toFixed(1),
            ].join(' | '),
          );
        }
      } finally {
        subscribers.close();
        await app.close();
      }
    }
    process.stdout.write(`members | engine | mode | creation | broadcast | delivery (medians, ms)\n`);
    process.stdout.write(`${rows.join('\n')}\n`);
  },
  { beforeCentrifugo: (endpoints) => prepareChatApp({ endpoints, consumers: unique, options: { mode: 'api' } }) },
);
