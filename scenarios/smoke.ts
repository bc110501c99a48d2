/**
 * Smoke: the whole path in well under a minute — what `npm run bench` runs by default. A few hundred
 * subscribers on personal channels, one broadcast to all of them ten times a second, exact accounting.
 * If this fails, nothing bigger is worth running.
 */
import { defineScenario } from './lib/scenario.ts';

export default defineScenario({
  name: 'smoke',
  description: '300 subscribers, 10 broadcasts/s to every personal channel for 20 s, memory engine, one node',
  stack: { provider: 'local', engine: 'memory', nodes: 1 },
  workload: {
    subscribers: { count: 300, connectRate: 300 },
    publishers: {
      executor: 'constant-arrival-rate',
      target: 'centrifugo-broadcast',
      rate: 10,
      timeUnit: '1s',
      duration: '20s',
      preAllocatedVUs: 5,
      maxVUs: 20,
      payloadBytes: 128,
    },
    drain: '3s',
  },
  thresholds: {
    delivery_latency: ['p(99)<250'],
    connect_duration: ['p(95)<1000'],
    messages_lost: ['count==0'],
    messages_duplicated: ['count==0'],
    dropped_iterations: ['count==0'],
  },
});
