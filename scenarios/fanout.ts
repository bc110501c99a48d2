/**
 * Fan-out: 10,000 subscribers on personal channels (GrandChat's shape), one broadcast to all of them
 * twice a second — 20,000 deliveries per second — for a minute, memory engine, one Centrifugo node.
 * The benchmark behind the README's fan-out figures: delivered msgs/s, p50/p99 delivery latency, and what
 * the load generator itself costs (CPU-seconds per million deliveries, memory per connection).
 */
import { defineScenario } from './lib/scenario.ts';

export default defineScenario({
  name: 'fanout',
  description: '10,000 subscribers, 2 broadcasts/s to every personal channel for 60 s, memory engine, one node',
  stack: { provider: 'local', engine: 'memory', nodes: 1 },
  workload: {
    subscribers: { count: 10_000, connectRate: 1000 },
    publishers: {
      executor: 'constant-arrival-rate',
      target: 'centrifugo-broadcast',
      rate: 2,
      timeUnit: '1s',
      duration: '60s',
      preAllocatedVUs: 4,
      maxVUs: 16,
      channelsPerCall: 1000,
      payloadBytes: 128,
    },
    drain: '10s',
  },
  thresholds: {
    delivery_latency: ['p(99)<500'],
    messages_lost: ['count==0'],
    messages_duplicated: ['count==0'],
    subscribers_connected: ['value>=10000'],
  },
});
