/**
 * The engine against a real Centrifugo: the accounting must report exactly what was done to it — known
 * losses, known duplicates, a known delay, a reconnect whose gap recovery fills — and the run must end
 * cleanly however it ends (signal, threshold abort), leaving no worker behind.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { deepFreeze } from '../common/deep-freeze.ts';
import type { MetricSummary } from '../common/summary-types.ts';
import type { Stack } from '../stack/index.ts';
import { startTestStack } from '../stack/testing.ts';
import { type EngineHooks, type EngineResult, parseWorkload, runEngine, type WorkloadInput } from './index.ts';
import { countBelow, decodeHistogram } from './metrics/histogram.ts';

const FAULTY = fileURLToPath(new URL('./testing/faulty-target.ts', import.meta.url));

let stack: Stack;
before(async () => {
  stack = await startTestStack({ engine: 'memory', nodes: 1, centrifugo: { logLevel: 'warn' } });
});
after(async () => {
  await stack?.down();
});

function targets(extra: Record<string, unknown> = {}) {
  const node = stack.endpoints.centrifugo.nodes[0]!;
  return {
    centrifugo: {
      wsUrls: [node.wsUrl],
      apiUrls: [node.apiUrl],
      apiKey: stack.secrets.centrifugoApiKey,
      hmacSecret: stack.secrets.centrifugoHmacSecret,
    },
    ...extra,
  };
}

function workload(
  subscribers: number,
  messages: number,
  rate: number,
  extra: Partial<WorkloadInput['publishers']> = {},
) {
  return {
    subscribers: { count: subscribers, connectRate: 2000, workers: 1 },
    publishers: {
      executor: 'constant-arrival-rate' as const,
      rate,
      duration: `${(messages / rate) * 1000}ms`,
      preAllocatedVUs: 10,
      ...extra,
    },
    drain: '3s',
    // Tests share two cores with other tests: do not fail them for a busy machine.
    limits: { maxEventLoopDelayP99Ms: 1000, maxCpuShare: 1 },
  } as WorkloadInput & { subscribers: Record<string, unknown> };
}

function count(result: EngineResult, name: string): number {
  const m = result.metrics[name];
  return m?.type === 'counter' ? m.count : 0;
}

function trend(result: EngineResult, name: string): Extract<MetricSummary, { type: 'trend' }> {
  const m = result.metrics[name];
  assert.ok(m?.type === 'trend', `no trend ${name}`);
  return m;
}

/** Child processes of this test process still alive (workers must all be gone after a run). */
function children(): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('worker.ts'));
  } catch {
    return [];
  }
}

test('a clean run: everything published is delivered exactly once to every subscriber', async () => {
  // Frozen as the run pipeline hands them over: the engine only reads its workload and targets.
  const result = await runEngine(deepFreeze(parseWorkload(workload(40, 30, 30))), deepFreeze(targets()));
  assert.equal(result.aborted, null);
  assert.equal(count(result, 'messages_published'), 30);
  assert.equal(count(result, 'messages_expected'), 1200);
  assert.equal(count(result, 'messages_delivered'), 1200);
  assert.equal(count(result, 'messages_lost'), 0);
  assert.equal(count(result, 'messages_duplicated'), 0);
  assert.equal(trend(result, 'delivery_latency').count, 1200);
  assert.equal(trend(result, 'connect_duration').count, 40, 'every JWT was accepted by Centrifugo');
  assert.equal(trend(result, 'publish_duration').count, 30);
  assert.deepEqual(result.errorsByCode, {});
  assert.ok(result.valid, result.invalidReasons.join('; '));
  assert.deepEqual(
    result.timeline.filter((e) => e.kind === 'phase').map((e) => e.name),
    ['start-workers', 'connect', 'publish', 'drain', 'account', 'done'],
  );
  assert.deepEqual(children(), []);
});

test('messages skipped on purpose are reported as exactly that loss', async () => {
  const skip = [3, 7, 19, 20];
  let liveLost = 0;
  const w = workload(25, 30, 30, { target: FAULTY });
  const result = await runEngine(
    parseWorkload({ ...w, subscribers: { ...w.subscribers, lostAfter: '1s' } }),
    targets({ targetOptions: { faulty: { skip } } }),
    { onPoint: (p) => (liveLost += p.counters.messages_lost ?? 0) },
  );
  // Live loss (what dashboards and abortOnFail see) already declared them, 1 s after they were due.
  assert.equal(liveLost, skip.length * 25);
  assert.equal(count(result, 'messages_published'), 30, 'skipped messages count as published');
  assert.equal(count(result, 'messages_expected'), 30 * 25);
  assert.equal(count(result, 'messages_lost'), skip.length * 25);
  assert.equal(count(result, 'messages_delivered'), (30 - skip.length) * 25);
  assert.equal(count(result, 'messages_duplicated'), 0);
});

test('a message published twice (different idempotency keys) is one delivery and one duplicate per subscriber', async () => {
  const duplicate = [5, 12];
  const result = await runEngine(
    parseWorkload(workload(20, 20, 20, { target: FAULTY })),
    targets({ targetOptions: { faulty: { duplicate } } }),
  );
  assert.equal(count(result, 'messages_expected'), 400);
  assert.equal(count(result, 'messages_delivered'), 400);
  assert.equal(count(result, 'messages_lost'), 0);
  assert.equal(count(result, 'messages_duplicated'), duplicate.length * 20);
});

test('a known delay in the intended time shows up in the latency percentiles within 1 ms', async () => {
  const shiftMs = 200;
  const subscribers = 20;
  const messages = 40;
  const result = await runEngine(
    parseWorkload(workload(subscribers, messages, 20, { target: FAULTY })),
    targets({ targetOptions: { faulty: { shiftMs, shiftEvery: 2 } } }),
  );
  assert.equal(count(result, 'messages_lost'), 0);
  const histogram = decodeHistogram(result.histograms.delivery_latency!);
  assert.equal(histogram.totalCount, subscribers * messages);
  // Exactly the shifted half of the deliveries is ≥ the shift (unshifted ones arrive in far less).
  const below = countBelow(histogram, shiftMs * 1000);
  assert.equal(below, (subscribers * messages) / 2);
  // The two halves are the same traffic, one shifted: their medians (p25 and p75 overall) differ by the shift.
  const p25 = histogram.getValueAtPercentile(25) / 1000;
  const p75 = histogram.getValueAtPercentile(75) / 1000;
  assert.ok(Math.abs(p75 - p25 - shiftMs) <= 1, `p75 − p25 = ${(p75 - p25).toFixed(3)} ms, expected ${shiftMs} ± 1`);
});

test('a gap across a reconnect is recovered from history, not counted as loss', async () => {
  const disconnected = ['u1', 'u2', 'u3', 'u4', 'u5'];
  const node = stack.endpoints.centrifugo.nodes[0]!;
  const hooks: EngineHooks = {
    onEvent(e) {
      if (e.kind !== 'phase' || e.name !== 'publish') return;
      // 1 s into publishing, the server closes five connections with 3011 (force reconnect).
      setTimeout(() => {
        for (const user of disconnected) {
          void fetch(`${node.apiUrl}/disconnect`, {
            method: 'POST',
            headers: { 'x-api-key': stack.secrets.centrifugoApiKey },
            body: JSON.stringify({ user, disconnect: { code: 3011, reason: 'test reconnect' } }),
          });
        }
      }, 1000);
    },
  };
  const result = await runEngine(
    parseWorkload({
      ...workload(10, 60, 20),
      subscribers: { count: 10, workers: 1, reconnect: { minDelay: '400ms', maxDelay: '1s' } },
    }),
    targets(),
    hooks,
  );
  assert.equal(count(result, 'reconnects'), disconnected.length);
  assert.equal(result.errorsByCode.ws_close_3011, disconnected.length);
  assert.ok(
    count(result, 'messages_recovered') >= disconnected.length,
    `recovered ${count(result, 'messages_recovered')}`,
  );
  assert.equal(count(result, 'messages_lost'), 0);
  assert.equal(count(result, 'messages_delivered'), 600);
  assert.equal(trend(result, 'reconnect_duration').count, disconnected.length);
});

test('subscribers disconnected for good still owe their messages: counted lost, not guessed away', async () => {
  const node = stack.endpoints.centrifugo.nodes[0]!;
  const result = await runEngine(parseWorkload(workload(10, 10, 20, { startTime: '1s' })), targets(), {
    onEvent(e) {
      if (e.kind !== 'phase' || e.name !== 'publish') return;
      // Before the first message (publishing starts 1 s later), two subscribers are disconnected with
      // 3503 (force disconnect): terminal, they never come back.
      for (const user of ['u1', 'u2']) {
        void fetch(`${node.apiUrl}/disconnect`, {
          method: 'POST',
          headers: { 'x-api-key': stack.secrets.centrifugoApiKey },
          body: JSON.stringify({ user, disconnect: { code: 3503, reason: 'test' } }),
        });
      }
    },
  });
  assert.equal(count(result, 'messages_expected'), 100);
  assert.equal(count(result, 'messages_delivered'), 80);
  assert.equal(count(result, 'messages_lost'), 20);
  assert.equal(result.errorsByCode.ws_close_3503, 2);
  assert.equal(result.errorsByCode.subscriber_gave_up, 2);
});

test('an abort signal stops the run, still accounts, and closes every worker', async () => {
  const controller = new AbortController();
  const result = await runEngine(parseWorkload(workload(10, 1000, 20)), targets(), {
    signal: controller.signal,
    onEvent(e) {
      if (e.kind === 'phase' && e.name === 'publish') setTimeout(() => controller.abort(new Error('SIGINT')), 1000);
    },
  });
  assert.deepEqual(result.aborted, { by: 'signal', reason: 'SIGINT' });
  const published = count(result, 'messages_published');
  assert.ok(published > 5 && published < 100, `published ${published}`);
  assert.equal(count(result, 'messages_expected'), published * 10);
  assert.ok(result.durationS < 20);
  assert.deepEqual(children(), []);
});

test('checkAbort stops the run early with its reason (abortOnFail)', async () => {
  const result = await runEngine(parseWorkload(workload(10, 1000, 20)), targets(), {
    checkAbort: (metrics) => {
      const delivered = metrics.messages_delivered;
      return delivered?.type === 'counter' && delivered.count >= 100 ? 'messages_delivered count<100' : undefined;
    },
  });
  assert.deepEqual(result.aborted, { by: 'threshold', reason: 'messages_delivered count<100' });
  assert.ok(count(result, 'messages_published') < 100);
  assert.deepEqual(children(), []);
});

test('a saturated generator makes the run invalid, with the reason', async () => {
  const w = workload(5, 40, 20);
  const result = await runEngine(parseWorkload({ ...w, limits: { maxCpuShare: 0.0001, sustained: '1s' } }), targets());
  assert.equal(result.valid, false);
  assert.match(result.invalidReasons.join('\n'), /CPU above 0% of a core for \d+ s in a row/);
});

test('centrifugo-publish: one channel per message, round-robin, every stream accounted', async () => {
  const result = await runEngine(parseWorkload(workload(8, 40, 40, { target: 'centrifugo-publish' })), targets());
  assert.equal(count(result, 'messages_published'), 40);
  assert.equal(count(result, 'messages_expected'), 40, 'each message is owed by its one channel');
  assert.equal(count(result, 'messages_delivered'), 40);
  assert.equal(count(result, 'messages_lost'), 0);
});
