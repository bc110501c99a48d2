/**
 * Push flood: 1,000,000 pushes to 100,000 devices (80 % FCM, 20 % Web Push) through the reference push
 * relay (Centrifugo PRO's push API: PostgreSQL devices, a Redis Streams queue, FCM v1 + Web Push senders)
 * into the push sink (mock FCM HTTP v1 and Web Push over TLS, VAPID verified, payloads decrypted on a
 * sample). Enqueue rate and latency, end-to-end latency (enqueue → sink receipt), delivered/s, queue
 * depth, and an exact ledger: enqueued = delivered + failed (by reason) + queued, nothing unaccounted.
 *
 * Variants: --set push.sinkFaults=429-storm | 503-outage | dead-tokens; a smaller run:
 *   npm run bench -- run scenarios/push-flood.ts --set push.pushes.total=20000 --set push.devices.count=5000
 */
import { defineScenario } from './lib/scenario.ts';

export default defineScenario({
  name: 'push-flood',
  description:
    '1,000,000 pushes to 100,000 devices (80% FCM, 20% Web Push) through the reference relay into the push sink',
  stack: {
    provider: 'local',
    engine: 'memory',
    // A throughput run: 1 % of Web Push payloads decrypted (VAPID checked on all); the conformance tests decrypt all.
    // One sink worker per core: with one, the sink's single process capped the flood (harness/sut/push-sink/README.md).
    pushSink: { workers: 'auto', webPush: { decryptSampleRate: 0.01 } },
    pushRelay: {
      workerProcesses: 'auto',
      concurrency: 400,
      retry: { rateLimitedInitialDelayMs: 1000, baseDelayMs: 500 },
    },
  },
  push: {
    api: 'relay',
    devices: { count: 100_000, mix: { fcm: 0.8, webpush: 0.2 }, topics: { count: 1000, perDevice: 2 } },
    pushes: {
      total: 1_000_000,
      rate: 'max',
      concurrency: 64,
      // As apps push: one call, many devices (500 tokens a call at max rate); total counts device messages.
      recipients: { kind: 'token', count: 'auto' },
      payloadBytes: 256,
    },
    drainTimeoutS: 900,
    sinkFaults: 'none',
  },
  thresholds: {
    pushes_unaccounted: ['count==0'],
    pushes_failed: ['count==0'],
    // At max rate the flood enqueues a million pushes in seconds and e2e latency is queueing time (the drain),
    // so no e2e bound here: measure latency with a fixed `pushes.rate`. A call carries 500 tokens.
    push_enqueue_duration: ['p(95)<2000'],
  },
});
