/**
 * The push flood end to end through the reference relay and the push sink: a 20,000-push flood, the ledger
 * exact under every sink fault variant, a known injected delay measured back as end-to-end latency, and
 * topic fan-out. One stack for the file (the relay's retry delays shortened so fault variants drain fast).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TimeseriesPoint } from '../../common/summary-types.ts';
import type { Stack } from '../../stack/index.ts';
import { startTestStack } from '../../stack/testing.ts';
import type { DriverHooks, DriverProgress } from '../driver.ts';
import { type PushFloodInput, type PushFloodResult, parsePushFlood, runPushFlood } from './push-flood.ts';

let stack: Stack;

/** A flood through the stack's relay and sink; `points` collects its seconds when no onPoint hook is given. */
function flood(input: PushFloodInput, points?: TimeseriesPoint[], hooks: DriverHooks = {}): Promise<PushFloodResult> {
  const sink = stack.endpoints.pushSink!;
  return runPushFlood(
    parsePushFlood(input),
    {
      relayUrl: stack.endpoints.pushRelay!.url,
      relayApiKey: stack.secrets.centrifugoApiKey,
      sinkControlUrl: sink.controlUrl,
      caFile: sink.caFile,
    },
    { onPoint: (p) => points?.push(p), ...hooks },
  );
}

function assertExact(result: PushFloodResult): void {
  const ledger = result.push_ledger;
  const failed = Object.values(ledger.failed).reduce((a, b) => a + b, 0);
  assert.equal(ledger.unaccounted, 0, `unaccounted pushes: ${JSON.stringify(ledger)}`);
  assert.equal(ledger.queued, 0, `queue not drained: ${JSON.stringify(ledger)}`);
  assert.equal(ledger.enqueued, ledger.delivered + failed, JSON.stringify(ledger));
  assert.equal(result.sink?.duplicates, 0);
}

before(async () => {
  stack = await startTestStack({
    pushSink: {},
    pushRelay: { retry: { baseDelayMs: 200, rateLimitedInitialDelayMs: 500, maxAttempts: 10 } },
  });
});

after(async () => {
  await stack?.down();
});

describe('push flood', () => {
  it('delivers a 20,000-push flood with an exact ledger and per-second points that add up', async () => {
    const points: TimeseriesPoint[] = [];
    const started = Date.now();
    const result = await flood({ devices: { count: 2000 }, pushes: { total: 20_000 }, drainTimeoutS: 90 }, points);
    assert.ok(Date.now() - started < 100_000, 'well under two minutes');
    assertExact(result);
    assert.equal(result.pushesAccepted, 20_000);
    assert.equal(result.push_ledger.delivered, 20_000);
    assert.equal(result.ledgerSource, 'api');
    // The driver contract (../driver.ts): the ledger and its unaccounted counter, not aborted. (Not `valid`:
    // on a busy shared machine the generator may saturate, and saying so is its job.)
    assert.deepEqual(result.pushLedger, result.push_ledger);
    assert.deepEqual(result.metrics.pushes_unaccounted, { type: 'counter', count: 0, rate: 0 });
    assert.equal(result.aborted, null);
    const e2e = result.metrics.push_e2e_latency;
    assert.equal(e2e?.type === 'trend' && e2e.count, 20_000, 'one e2e latency per receipt');
    assert.ok(result.histograms.push_e2e_latency && result.histograms.push_enqueue_duration);
    const total = (name: string) => points.reduce((a, p) => a + (p.counters[name] ?? 0), 0);
    assert.equal(total('pushes_enqueued'), 20_000);
    assert.equal(total('pushes_delivered'), 20_000);
    assert.equal(
      points.reduce((a, p) => a + (p.trends.push_e2e_latency?.count ?? 0), 0),
      20_000,
      'per-second e2e histograms add up to the whole run',
    );
    assert.deepEqual(
      points.map((p) => p.t),
      [...points.map((p) => p.t)].sort((a, b) => a - b),
    );
    assert.equal(points.at(-1)!.gauges.push_queue_depth, 0);
  });

  for (const variant of ['429-storm', '503-outage'] as const) {
    it(`keeps the ledger exact through a sink ${variant}`, async () => {
      const result = await flood({
        devices: { count: 1000 },
        pushes: { total: 2000, rate: 1000 },
        sinkFaults: variant,
        faultWindow: { startS: 0.5, durationS: 1.5, probability: 0.7, retryAfterS: 1 },
        drainTimeoutS: 60,
      });
      assertExact(result);
      assert.equal(result.push_ledger.delivered, 2000, 'transient errors are retried until delivered');
      assert.ok((result.retries ?? 0) > 0, 'the window caused retries');
      assert.ok(result.timeline.some((e) => e.kind === 'fault'));
    });
  }

  it('keeps the ledger exact with 5% dead tokens, each hit once at most', async () => {
    const result = await flood({
      devices: { count: 1000 },
      pushes: { total: 3000 },
      sinkFaults: 'dead-tokens',
      deadFraction: 0.05,
      drainTimeoutS: 60,
    });
    assertExact(result);
    const failed = result.push_ledger.failed;
    assert.ok((failed.unregistered ?? 0) > 0 && (failed.webpush_gone ?? 0) > 0, JSON.stringify(failed));
    // Each device gets ~3 pushes; after its first 404/410 a dead token is skipped, never sent again.
    assert.ok((failed.dead_token ?? 0) > 0, JSON.stringify(failed));
    assert.equal(result.sink?.deadTokenRepeatHits, 0);
    const deadShare = ((failed.unregistered ?? 0) + (failed.webpush_gone ?? 0) + (failed.dead_token ?? 0)) / 3000;
    assert.ok(deadShare > 0.02 && deadShare < 0.09, `dead share ${deadShare}`);
  });

  // Issue 17: many recipients per call (the default shape) must not blur the ledger — every device message
  // of a call is settled on its own, through 429s, 503s and dead tokens at once. The sink mints the same
  // tokens for every flood of this file, so each variant's population reaches past the earlier floods' (whose
  // dead tokens the relay already knows) to tokens it has not seen. token: 6,000 messages over 4,000 devices
  // (some tokens twice, in concurrent calls); device: ids of 8,000 devices, each once (a dead device is
  // deleted, so a second push to its id would have no recipient).
  for (const variant of [
    { kind: 'token', count: 100, rate: 2000, devices: 4000 },
    { kind: 'device', count: 'auto', rate: 'max', devices: 8000 },
  ] as const) {
    it(`keeps the ledger exact with ${variant.kind}:${variant.count} per call under a 429 / 503 / dead-token mix`, async () => {
      const result = await flood({
        devices: { count: variant.devices },
        pushes: { total: 6000, rate: variant.rate, recipients: { kind: variant.kind, count: variant.count } },
        sinkFaults: {
          deadFraction: { fcm: 0.05, webpush: 0.05 },
          windows: [
            {
              startSeconds: 0,
              durationSeconds: 2.5,
              provider: 'fcm',
              status: 429,
              probability: 0.3,
              retryAfterSeconds: 1,
            },
            {
              startSeconds: 0.3,
              durationSeconds: 2.5,
              provider: 'all',
              status: 503,
              probability: 0.3,
              retryAfterSeconds: 1,
            },
          ],
        },
        drainTimeoutS: 90,
      });
      assertExact(result);
      assert.equal(result.pushesAccepted, 6000, 'pushes count device messages, not calls');
      assert.equal(result.push_ledger.enqueued, 6000, JSON.stringify(result.push_ledger));
      assert.equal(result.metrics.pushes_enqueued?.type === 'counter' && result.metrics.pushes_enqueued.count, 6000);
      assert.ok((result.retries ?? 0) > 0, 'the 429 / 503 windows caused retries');
      const failed = result.push_ledger.failed;
      // Fresh dead tokens answered 404 / 410 once; every other message to a dead token was never sent.
      assert.ok((failed.unregistered ?? 0) > 0 && (failed.webpush_gone ?? 0) > 0, JSON.stringify(failed));
      assert.ok((failed.dead_token ?? 0) > 0, JSON.stringify(failed));
      assert.equal(result.sink?.deadTokenRepeatHits, 0);
      const dead = (failed.unregistered ?? 0) + (failed.webpush_gone ?? 0) + (failed.dead_token ?? 0);
      assert.equal(result.push_ledger.delivered + dead, 6000, 'transient errors were retried until delivered');
      assert.equal(result.sink?.receipts, result.push_ledger.delivered);
    });
  }

  it('counts latency from the intended send time: a 1 s Redis pause shows up, it is not hidden', async () => {
    // Open model, 200 pushes/s for 3 s. Redis stops for 1 s in the middle: the relay's API cannot enqueue,
    // the flood's calls pile up — and every push due during the pause must carry that wait in its latency.
    const pause = (async () => {
      await sleep(1500);
      await stack.faults.pauseService('redis');
      await sleep(1000);
      await stack.faults.resumeService('redis');
    })();
    const result = await flood({
      devices: { count: 500, mix: { fcm: 1, webpush: 0 } },
      pushes: { total: 600, rate: 200, concurrency: 32 },
      drainTimeoutS: 30,
    });
    await pause;
    assertExact(result);
    const e2e = result.metrics.push_e2e_latency;
    assert.ok(e2e?.type === 'trend');
    assert.ok(e2e.max >= 900, `max ${e2e.max} ms: the 1 s pause is missing from the latency`);
    assert.ok(e2e.med < 500, `median ${e2e.med} ms: pushes outside the pause should be fast`);
    // A third of the pushes were due during the pause or its backlog: p90 reflects it.
    assert.ok(e2e.p90 >= 300, `p90 ${e2e.p90} ms`);
    const enqueue = result.timeline.find((e) => e.name === 'enqueue')!;
    const done = result.timeline.find((e) => e.name === 'enqueue done')!;
    const seconds = done.at - enqueue.at;
    assert.ok(seconds > 2.9 && seconds < 5, `600 pushes at 200/s took ${seconds}s`);
  });

  it('fans topic pushes out to every subscribed device', async () => {
    const result = await flood({
      devices: { count: 1000, topics: { count: 20, perDevice: 2 } },
      pushes: { total: 40, recipients: { kind: 'topic', count: 1 } },
      drainTimeoutS: 60,
    });
    assertExact(result);
    // 1000 devices × 2 topics over 20 topics ≈ 100 per topic (plus earlier tests' devices on the same
    // topics): each push reaches far more than one device.
    assert.ok(result.push_ledger.enqueued >= 40 * 80, `fan-out reached ${result.push_ledger.enqueued} devices`);
  });

  it('stops at an abortOnFail threshold like the engine, and accounts for what it enqueued', async () => {
    const result = await flood(
      { devices: { count: 200 }, pushes: { total: 600, rate: 200 }, drainTimeoutS: 30 },
      undefined,
      {
        checkAbort: (metrics) => {
          const enqueued = metrics.pushes_enqueued;
          return enqueued?.type === 'counter' && enqueued.count >= 100 ? 'pushes_enqueued crossed 100' : undefined;
        },
      },
    );
    assert.deepEqual(result.aborted, { by: 'threshold', reason: 'pushes_enqueued crossed 100' });
    assert.ok(result.pushesAccepted >= 100 && result.pushesAccepted < 600, `accepted ${result.pushesAccepted}`);
    assert.equal(result.push_ledger.unaccounted, 0, JSON.stringify(result.push_ledger));
    await sleep(2000); // what it left queued is delivered before the next flood resets the sink's stats
  });

  it('stopped before it registered its devices: returns a result saying so, nothing pushed', async () => {
    const controller = new AbortController();
    controller.abort('not now');
    const result = await flood({ devices: { count: 100 }, pushes: { total: 100 } }, undefined, {
      signal: controller.signal,
    });
    assert.deepEqual(result.aborted, { by: 'signal', reason: 'not now' });
    assert.equal(result.pushesAccepted, 0);
    assert.deepEqual([result.push_ledger.enqueued, result.push_ledger.unaccounted], [0, 0]);
    assert.equal(result.sink, undefined, "the sink's stats were not reset for this flood, so they are not its own");
  });

  // Last: the pushes it leaves queued are delivered after it returns, into the next flood's sink stats.
  it('stops on the signal, accounts for what it enqueued and says it was aborted', async () => {
    const controller = new AbortController();
    const progress: DriverProgress[] = [];
    const result = await flood(
      { devices: { count: 500 }, pushes: { total: 2000, rate: 200 }, drainTimeoutS: 30 },
      undefined,
      {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.name === 'enqueue') setTimeout(() => controller.abort('enough'), 1500);
        },
        onProgress: (p) => progress.push(p),
      },
    );
    assert.deepEqual(result.aborted, { by: 'signal', reason: 'enough' });
    assert.ok(result.pushesAccepted > 0 && result.pushesAccepted < 2000, `accepted ${result.pushesAccepted}`);
    assert.equal(result.push_ledger.unaccounted, 0, JSON.stringify(result.push_ledger));
    assert.ok(result.timeline.some((e) => e.name === 'aborted'));
    // Progress in the driver's terms: devices while registering, pushes afterwards.
    assert.deepEqual(progress.find((p) => p.phase === 'register')?.target, 500);
    const last = progress.at(-1)!;
    assert.equal(last.phase, 'done');
    assert.deepEqual([last.connected, last.target, last.p99Ms], [result.pushesAccepted, 2000, null]);
  });
});
