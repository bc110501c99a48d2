/**
 * Reconnect storm: 2,000 subscribers spread over 2 Centrifugo nodes sharing a Redis engine (history and
 * forced recovery on `personal` channels, like GrandChat), a broadcast to all of them twice a second. Ten
 * seconds into publishing node 1 is killed
 * (SIGKILL: a crash, not a shutdown); its subscribers reconnect to node 2 and recover what they missed
 * from history. Node 1 comes back ten seconds later. Measures reconnect time, recovered publications,
 * and proves that recovery loses nothing.
 */
import { defineScenario } from './lib/scenario.ts';

export default defineScenario({
  name: 'reconnect-storm',
  description:
    '2,000 subscribers on 2 nodes (redis), 2 broadcasts/s; node 1 killed 10 s into publishing, restarted 10 s later',
  stack: { provider: 'local', engine: 'redis', nodes: 2 },
  workload: {
    subscribers: { count: 2000, connectRate: 1000, reconnect: { minDelay: '250ms', maxDelay: '3s' } },
    publishers: {
      executor: 'constant-arrival-rate',
      target: 'centrifugo-broadcast',
      rate: 2,
      timeUnit: '1s',
      duration: '40s',
      preAllocatedVUs: 4,
      maxVUs: 32,
      channelsPerCall: 1000,
    },
    drain: '15s',
    faults: [
      { at: '10s', action: 'kill-centrifugo-node', node: 1 },
      { at: '20s', action: 'start-centrifugo-node', node: 1 },
    ],
  },
  thresholds: {
    messages_lost: ['count==0'],
    reconnects: ['count>=500'],
    reconnect_duration: ['p(99)<10000'],
  },
});
