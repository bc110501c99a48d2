/**
 * Chat: GrandChat's delivery path, measured. The reference chat app creates each message in a
 * transaction, bumps the room version and broadcasts to `personal:<userId>` of every member, in the
 * broadcast mode of `stack.chatApp.mode` (api, outbox, api_outbox, redis_stream, nats_jetstream). A
 * seeded dataset gives rooms of 100 / 1,000 / 10,000 members; one member per room is online, like the
 * latency table in GrandChat's "Scale" chapter. Latency splits into creation / broadcast / delivery.
 *
 *   npm run bench -- run scenarios/chat.ts --set stack.chatApp.mode=outbox --set stack.engine=redis
 */
import { defineScenario } from './lib/scenario.ts';

export default defineScenario({
  name: 'chat',
  description: 'chat app, one online member per room of 100 / 1k / 10k, 3 messages/s round-robin over rooms for 30 s',
  stack: { provider: 'local', engine: 'memory', nodes: 1, chatApp: { mode: 'api' } },
  dataset: {
    seed: 1,
    users: 10_000,
    rooms: [
      { name: 'Football', members: 100 },
      { name: 'Programming', members: 1000 },
      { name: 'Movies', members: 10_000 },
    ],
  },
  online: { kind: 'one-per-room' },
  workload: {
    // Who subscribes follows from `online` (one member per room here): no count.
    subscribers: {},
    publishers: {
      executor: 'constant-arrival-rate',
      target: 'chat-app',
      rate: 3,
      timeUnit: '1s',
      duration: '30s',
      preAllocatedVUs: 4,
      maxVUs: 32,
    },
    drain: '10s',
  },
  thresholds: {
    messages_lost: ['count==0'],
    delivery_latency: ['p(99)<2000'],
    creation_duration: ['p(99)<1000'],
  },
});
