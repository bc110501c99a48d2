/**
 * Faults as scenario steps, against a real two-node Centrifugo cluster on Redis: node 1 is killed while
 * messages flow and started again. Its subscribers reconnect to node 2 and recover what they missed from
 * the Redis history; publishes aimed at node 1 fail over to node 2. Nothing may be counted lost, and the
 * faults must be on the timeline.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TimelineEvent } from '../common/summary-types.ts';
import { withStack } from '../stack/testing.ts';
import { parseWorkload, runEngine } from './index.ts';

test('kill and restart a Centrifugo node mid-run: reconnect, recovery, failover, no loss', async () => {
  await withStack({ engine: 'redis', nodes: 2, centrifugo: { logLevel: 'warn' } }, async (stack) => {
    const nodes = stack.endpoints.centrifugo.nodes;
    const events: TimelineEvent[] = [];
    const result = await runEngine(
      parseWorkload({
        subscribers: { count: 20, workers: 1, reconnect: { minDelay: '200ms', maxDelay: '1s' } },
        publishers: { executor: 'constant-arrival-rate', rate: 20, duration: '6s', preAllocatedVUs: 10 },
        drain: '5s',
        faults: [
          { at: '1500ms', action: 'kill-centrifugo-node', node: 1 },
          { at: '4s', action: 'start-centrifugo-node', node: 1 },
        ],
        limits: { maxEventLoopDelayP99Ms: 1000, maxCpuShare: 1 },
      }),
      {
        centrifugo: {
          wsUrls: nodes.map((n) => n.wsUrl),
          apiUrls: nodes.map((n) => n.apiUrl),
          apiKey: stack.secrets.centrifugoApiKey,
          hmacSecret: stack.secrets.centrifugoHmacSecret,
        },
      },
      { faults: stack.faults, onEvent: (e) => events.push(e) },
    );
    const count = (name: string) => {
      const m = result.metrics[name];
      return m?.type === 'counter' ? m.count : 0;
    };
    assert.equal(result.aborted, null);
    // Half the subscribers were on node 1: each reconnected (to node 2) once.
    assert.ok(count('reconnects') >= 10, `reconnects ${count('reconnects')}`);
    assert.ok(count('messages_recovered') > 0, 'the gap was filled by recovery');
    assert.ok((result.errorsByCode.api_failover_ECONNREFUSED ?? 0) > 0, JSON.stringify(result.errorsByCode));
    const expected = count('messages_expected');
    assert.equal(expected, count('messages_published') * 20);
    assert.equal(count('messages_lost'), 0, JSON.stringify(result.errorsByCode));
    assert.equal(count('messages_delivered'), expected);
    const faults = result.timeline.filter((e) => e.kind === 'fault').map((e) => `${e.name} ${e.detail}`);
    assert.deepEqual(faults, ['kill-centrifugo-node node 1', 'start-centrifugo-node node 1']);
    assert.ok(result.timeline.some((e) => e.name === 'start-centrifugo-node done'));
    assert.deepEqual(events, result.timeline, 'onEvent saw the same timeline');
  });
});
