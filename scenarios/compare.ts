/**
 * The base scenario of `centrifugo-bench compare`: one room, a few online members, the chat app
 * publishing at a steady low rate. `compare` runs it once per cell (broadcast mode × room size × engine)
 * with a fresh stack, setting stack.chatApp.mode, stack.engine and the room size; edit this file to change
 * what every cell does (rate, duration, online members, payload).
 */
import { defineScenario } from './lib/scenario.ts';

export default defineScenario({
  name: 'compare',
  description: 'one room, 10 online members, 2 chat messages/s for 30 s through the chat app',
  stack: { provider: 'local', engine: 'memory', nodes: 1, chatApp: { mode: 'api', channelsPerCall: 1000 } },
  dataset: { seed: 1, users: 1000, rooms: [{ name: 'room', members: 1000 }] },
  online: { kind: 'per-room', count: 10, pick: 'random' },
  workload: {
    subscribers: {}, // one per online member (`online`)
    publishers: {
      executor: 'constant-arrival-rate',
      target: 'chat-app',
      rate: 2,
      timeUnit: '1s',
      duration: '30s',
      preAllocatedVUs: 4,
      maxVUs: 64,
    },
    drain: '15s',
  },
  results: { report: false },
});
