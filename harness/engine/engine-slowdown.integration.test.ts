/**
 * The injected slowdown (workload.publishers.slowdown) through a real Centrifugo node: the same small
 * workload run twice back to back, once with every publication held 5 ms. The slowed run's median delivery
 * latency must be 5 ms larger (± 2 ms, for a shared 2-core machine: a missing or a doubled hold fails), its
 * publish delay must show the hold, and its timeline must say so.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withStack } from '../stack/testing.ts';
import { type EngineResult, parseWorkload, runEngine } from './index.ts';

function median(result: EngineResult, metric: string): number {
  const m = result.metrics[metric];
  assert.ok(m?.type === 'trend', `${metric} measured`);
  return m.med;
}

test('slowdown 5ms: the median delivery latency grows by 5 ms (± 2), on the timeline as a fault', async (t) => {
  await withStack({ engine: 'memory', centrifugo: { logLevel: 'warn' } }, async (stack) => {
    const node = stack.endpoints.centrifugo.nodes[0]!;
    const targets = {
      centrifugo: {
        wsUrls: [node.wsUrl],
        apiUrls: [node.apiUrl],
        apiKey: stack.secrets.centrifugoApiKey,
        hmacSecret: stack.secrets.centrifugoHmacSecret,
      },
    };
    const run = (slowdown?: string) =>
      runEngine(
        parseWorkload({
          subscribers: { count: 50, workers: 1, connectRate: 500 },
          publishers: {
            executor: 'constant-arrival-rate',
            rate: 20,
            duration: '3s',
            preAllocatedVUs: 5,
            ...(slowdown ? { slowdown } : {}),
          },
          drain: '2s',
          limits: { maxEventLoopDelayP99Ms: 1000, maxCpuShare: 1 },
        }),
        targets,
      );
    const plain = await run();
    const slowed = await run('5ms');
    for (const result of [plain, slowed]) {
      assert.equal(result.aborted, null);
      const lost = result.metrics.messages_lost;
      assert.ok(lost?.type === 'counter' && lost.count === 0, 'nothing lost');
    }

    const added = median(slowed, 'delivery_latency') - median(plain, 'delivery_latency');
    t.diagnostic(`delivery latency median +${added.toFixed(2)} ms for a 5 ms slowdown`);
    assert.ok(
      Math.abs(added - 5) <= 2,
      `delivery latency median ${median(plain, 'delivery_latency')} → ${median(slowed, 'delivery_latency')} ms (+${added.toFixed(2)})`,
    );
    assert.ok(
      median(slowed, 'publish_delay') >= 5,
      `publish_delay shows the hold: ${median(slowed, 'publish_delay')} ms`,
    );

    const faults = (result: EngineResult) => result.timeline.filter((e) => e.kind === 'fault');
    assert.deepEqual(faults(plain), []);
    assert.deepEqual(
      faults(slowed).map((e) => `${e.name}: ${e.detail}`),
      ['slowdown: every publication held 5 ms longer before it is sent'],
    );
    const publishAt = slowed.timeline.find((e) => e.kind === 'phase' && e.name === 'publish')!.at;
    assert.equal(faults(slowed)[0]!.at, publishAt, 'stamped when publishing starts');
  });
});
