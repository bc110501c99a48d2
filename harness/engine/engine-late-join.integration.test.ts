/**
 * A connection ramp under load (publishers.startAfter 'ramp-start') against a real Centrifugo: subscribers
 * joining while publishing runs owe exactly the messages intended after they subscribed — no more (no
 * phantom loss), no less (messages sent before they joined and received anyway are counted apart).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TimeseriesPoint } from '../common/summary-types.ts';
import type { Stack } from '../stack/index.ts';
import { startTestStack } from '../stack/testing.ts';
import { type EngineResult, parseWorkload, runEngine } from './index.ts';

const FAULTY = fileURLToPath(new URL('./testing/faulty-target.ts', import.meta.url));

let stack: Stack;
before(async () => {
  stack = await startTestStack({ engine: 'memory', nodes: 1, centrifugo: { logLevel: 'warn' } });
});
after(async () => {
  await stack?.down();
});

function targets(targetOptions: Record<string, unknown>) {
  const node = stack.endpoints.centrifugo.nodes[0]!;
  return {
    centrifugo: {
      wsUrls: [node.wsUrl],
      apiUrls: [node.apiUrl],
      apiKey: stack.secrets.centrifugoApiKey,
      hmacSecret: stack.secrets.centrifugoHmacSecret,
    },
    targetOptions,
  };
}

function count(result: EngineResult, name: string): number {
  const m = result.metrics[name];
  return m?.type === 'counter' ? m.count : 0;
}

test('three waves join while publishing runs: owed, delivered and not-owed receipts are exact, 0 lost', async () => {
  // Messages are intended at 0, 1, …, 8 s (1/s for 9 s) and each is held 900 ms before it is sent.
  // Waves of 10 subscribers are opened at 0.2 s, 3.21 s and 6.22 s and subscribe within ~0.6 s:
  //   wave 1 owes the messages intended at 1..8 s (8), and receives the one intended at 0 s (sent 0.9 s)
  //          although it subscribed after that message's intended time: not owed;
  //   wave 2 owes 4..8 s (5), receives 3 s unowed;   wave 3 owes 7..8 s (2), receives 6 s unowed.
  const points: TimeseriesPoint[] = [];
  const result = await runEngine(
    parseWorkload({
      subscribers: {
        count: 30,
        workers: 1,
        stages: [
          { duration: '200ms', target: 0 },
          { duration: '10ms', target: 10 },
          { duration: '3s', target: 10 },
          { duration: '10ms', target: 20 },
          { duration: '3s', target: 20 },
          { duration: '10ms', target: 30 },
        ],
      },
      publishers: {
        executor: 'constant-arrival-rate',
        startAfter: 'ramp-start',
        target: FAULTY,
        rate: 1,
        duration: '9s',
        preAllocatedVUs: 4,
      },
      drain: '5s',
      limits: { maxEventLoopDelayP99Ms: 1000, maxCpuShare: 1 },
    }),
    targets({ faulty: { delayMs: 900 } }),
    { onPoint: (p) => points.push(p) },
  );
  assert.equal(result.aborted, null);
  assert.equal(count(result, 'messages_published'), 9);
  assert.equal(count(result, 'messages_expected'), 10 * 8 + 10 * 5 + 10 * 2);
  assert.equal(count(result, 'messages_delivered'), 150);
  assert.equal(count(result, 'messages_lost'), 0);
  assert.equal(result.errorsByCode.delivered_before_subscription, 30);
  assert.equal(result.errorsByCode.subscriber_never_subscribed, undefined);
  const latency = result.metrics.delivery_latency;
  assert.ok(latency?.type === 'trend');
  assert.equal(latency.count, 150, 'unowed receipts are not deliveries: no latency recorded for them');
  assert.ok(latency.min >= 900, `every delivery waited the 900 ms hold (min ${latency.min} ms)`);
  // The per-second gauge shows the fleet growing while publishing runs.
  const connected = points.map((p) => p.gauges.subscribers_connected ?? 0);
  assert.ok(connected.includes(10) && connected.includes(20) && connected.at(-1) === 30, connected.join(','));
  assert.ok(result.timeline.some((e) => e.name === 'ramp complete' && e.detail === 'all 30 subscribers connected'));
  const phases = result.timeline.filter((e) => e.kind === 'phase').map((e) => e.name);
  assert.deepEqual(phases, ['start-workers', 'connect', 'publish', 'drain', 'account', 'done']);
  assert.ok(result.valid, result.invalidReasons.join('; '));
});

test('a ramp under load stops at the connection count where the abortOnFail check trips', async () => {
  // 40 subscribers over 20 s while 2 messages/s go out; the check trips at the first delivery ≥ 300 ms
  // (every message is held 300 ms): the run stops a few seconds in, with the fleet partly connected.
  const result = await runEngine(
    parseWorkload({
      subscribers: { count: 40, workers: 1, stages: [{ duration: '20s', target: 40 }] },
      publishers: {
        executor: 'constant-arrival-rate',
        startAfter: 'ramp-start',
        target: FAULTY,
        rate: 2,
        duration: '20s',
        preAllocatedVUs: 4,
      },
      drain: '2s',
      limits: { maxEventLoopDelayP99Ms: 1000, maxCpuShare: 1 },
    }),
    targets({ faulty: { delayMs: 300 } }),
    {
      checkAbort: (metrics) => {
        const latency = metrics.delivery_latency;
        return latency?.type === 'trend' && latency.p99 >= 300 ? 'delivery_latency p(99)<300' : undefined;
      },
    },
  );
  assert.deepEqual(result.aborted, { by: 'threshold', reason: 'delivery_latency p(99)<300' });
  const note = result.timeline.find((e) => e.name === 'aborted');
  const match = /^threshold: delivery_latency p\(99\)<300 \((\d+) of 40 subscribers connected\)$/.exec(
    note?.detail ?? '',
  );
  assert.ok(match, note?.detail);
  const connected = Number(match[1]);
  assert.ok(connected > 0 && connected < 40, `stopped at ${connected} of 40`);
  assert.ok(result.durationS < 20, `stopped early (${result.durationS} s)`);
  assert.equal(
    count(result, 'messages_expected'),
    count(result, 'messages_delivered') + count(result, 'messages_lost'),
  );
});
