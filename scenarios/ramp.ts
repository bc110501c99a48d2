/**
 * Ramp: connections grow until delivery latency degrades. Every subscriber listens on one shared channel
 * (`room:feed`), so each publication fans out to everyone connected so far: the fan-out work grows with
 * the fleet while the publishing cost stays flat — latency degrades when Centrifugo (or the generator,
 * which then marks the run invalid) can no longer keep up. 2 Centrifugo nodes share a Redis broker (one
 * node holds < 20,000 sockets here); subscribers ramp to 30,000 over three minutes while a message a
 * second goes out from the start of the ramp (`startAfter: 'ramp-start'`: each subscriber owes what was
 * intended after it subscribed). The run stops early — abortOnFail, like k6 — when p99 delivery latency
 * passes 1 s; the `aborted` note on the timeline says at how many connections, and the per-second
 * `subscribers_connected` gauge shows the climb.
 *
 * A short check of the same shape (3,000 subscribers over 30 s):
 *   npm run bench -- run scenarios/ramp.ts --set workload.subscribers.count=3000 \
 *     --set 'workload.subscribers.stages=[{"duration":"30s","target":3000}]' --set workload.publishers.duration=40s
 */
import { defineScenario } from './lib/scenario.ts';

export default defineScenario({
  name: 'ramp',
  description:
    'subscribers on one channel ramp 0 → 30,000 over 3 min on 2 nodes (redis) while 1 message/s fans out to all; stop when p99 > 1 s',
  stack: { provider: 'local', engine: 'redis', nodes: 2 },
  workload: {
    subscribers: {
      count: 30_000,
      channel: 'room:feed',
      stages: [
        { duration: '60s', target: 10_000 },
        { duration: '60s', target: 20_000 },
        { duration: '60s', target: 30_000 },
      ],
    },
    publishers: {
      executor: 'constant-arrival-rate',
      startAfter: 'ramp-start',
      target: 'centrifugo-publish',
      rate: 1,
      timeUnit: '1s',
      // The 3-minute ramp, then 30 s at the full 30,000.
      duration: '3m30s',
      preAllocatedVUs: 4,
      maxVUs: 32,
    },
    drain: '10s',
  },
  thresholds: {
    delivery_latency: [{ threshold: 'p(99)<1000', abortOnFail: true, delayAbortEval: '10s' }],
    messages_lost: ['count==0'],
  },
});
