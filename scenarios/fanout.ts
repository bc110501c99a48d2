/**
 * Fan-out: 10,000 subscribers on personal channels (GrandChat's shape), one broadcast to all of them
 * every second — 10,000 deliveries per second — for a minute, memory engine, one Centrifugo node. (On a
 * 2-core box shared with the load generator, one 10k-channel broadcast costs Centrifugo ~0.4 s; at two
 * per second it falls behind, which `--set workload.publishers.rate=2` shows.)
 * The benchmark behind the README's fan-out figures: delivered msgs/s, p50/p99 delivery latency, and what
 * the load generator itself costs (CPU-seconds per million deliveries, memory per connection).
 */
import { defineScenario } from './lib/scenario.ts';

export default defineScenario({
  name: 'fanout',
  description: '10,000 subscribers, 1 broadcast/s to every personal channel for 60 s, memory engine, one node',
  stack: { provider: 'local', engine: 'memory', nodes: 1 },
  workload: {
    subscribers: { count: 10_000, connectRate: 1000 },
    publishers: {
      executor: 'constant-arrival-rate',
      target: 'centrifugo-broadcast',
      rate: 1,
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
    delivery_latency: ['p(99)<2000'],
    messages_lost: ['count==0'],
    messages_duplicated: ['count==0'],
    subscribers_connected: ['value>=10000'],
  },
});
