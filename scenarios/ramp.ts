/**
 * Ramp: connections grow until delivery latency degrades. 2 Centrifugo nodes share a Redis broker (one
 * node holds < 20,000 sockets here), subscribers ramp to 30,000 over three minutes while a broadcast to
 * everybody goes out every second; the run stops early — abortOnFail, like k6 — when p99 delivery
 * latency passes 1 s, and the timeline shows at how many connections that happened.
 */
import { defineScenario } from './lib/scenario.ts';

export default defineScenario({
  name: 'ramp',
  description: 'subscribers ramp 0 → 30,000 over 3 min on 2 nodes (redis), 1 broadcast/s to all; stop when p99 > 1 s',
  stack: { provider: 'local', engine: 'redis', nodes: 2 },
  workload: {
    subscribers: {
      count: 30_000,
      stages: [
        { duration: '60s', target: 10_000 },
        { duration: '60s', target: 20_000 },
        { duration: '60s', target: 30_000 },
      ],
      rampGrace: '10s',
    },
    publishers: {
      executor: 'constant-arrival-rate',
      target: 'centrifugo-broadcast',
      rate: 1,
      timeUnit: '1s',
      duration: '60s',
      preAllocatedVUs: 4,
      maxVUs: 32,
      channelsPerCall: 1000,
    },
    drain: '10s',
  },
  thresholds: {
    delivery_latency: [{ threshold: 'p(99)<1000', abortOnFail: true, delayAbortEval: '10s' }],
    messages_lost: ['count==0'],
  },
});
