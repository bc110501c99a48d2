/**
 * Topic fan-out: GrandChat's push appendix at room scale — one `send_push_notification` per room message to a
 * topic of 10,000 devices (100,000 devices, 10 topics, one each), one call a second for 60 s, through the
 * reference relay into the push sink. The relay resolves each topic page by page from its topic indexes; the
 * e2e latency (call's intended time → each device's receipt) shows how long a room of 10,000 waits.
 *
 * Per-call "call → last receipt" p50/p99 (and the EXPLAIN ANALYZE of the fan-out page query):
 *   node --import tsx harness/engine/push/topic-fanout.bench.ts --devices 100000 --topic-devices 10000
 */
import { defineScenario } from './lib/scenario.ts';

export default defineScenario({
  name: 'push-topic-fanout',
  description: 'One push a second to a topic of 10,000 devices (100,000 devices, 10 topics) through the relay',
  stack: {
    provider: 'local',
    engine: 'memory',
    pushSink: { workers: 1, webPush: { decryptSampleRate: 0.01 } },
    pushRelay: { workerProcesses: 'auto', concurrency: 400 },
  },
  push: {
    api: 'relay',
    devices: { count: 100_000, mix: { fcm: 0.8, webpush: 0.2 }, topics: { count: 10, perDevice: 1 } },
    pushes: {
      // Topic recipients: total counts calls; each call fans out to the ~10,000 devices of its topic.
      total: 60,
      rate: 1,
      recipients: { kind: 'topic', count: 1 },
      payloadBytes: 256,
    },
    drainTimeoutS: 300,
    sinkFaults: 'none',
  },
  thresholds: {
    pushes_unaccounted: ['count==0'],
    pushes_failed: ['count==0'],
  },
});
