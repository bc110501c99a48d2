import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deepFreeze } from '../common/deep-freeze.ts';
import { UserError } from '../common/errors.ts';
import { type ExecutorConfig, planExecutor } from './executors/index.ts';
import { planFleet } from './fleet-plan.ts';
import { SaturationWatch } from './honesty.ts';
import { describeWorkload, planWorkload } from './plan.ts';
import { parseWorkload } from './workload.ts';

const minimal = {
  subscribers: { count: 10_000 },
  publishers: { executor: 'constant-arrival-rate' as const, rate: 10, duration: '30s', preAllocatedVUs: 10 },
};

function problem(input: unknown): string {
  try {
    parseWorkload(input);
  } catch (error) {
    assert.ok(error instanceof UserError);
    return error.message;
  }
  assert.fail('expected a validation error');
}

test('defaults follow k6 (timeUnit 1s, gracefulStop 30s, maxVUs = preAllocatedVUs) and ours', () => {
  const w = parseWorkload(minimal);
  assert.equal(w.publishers.executor, 'constant-arrival-rate');
  assert.ok(w.publishers.executor === 'constant-arrival-rate');
  assert.equal(w.publishers.timeUnit, 1000);
  assert.equal(w.publishers.gracefulStop, 30_000);
  assert.equal(w.publishers.duration, 30_000);
  assert.equal(w.publishers.target, 'centrifugo-broadcast');
  assert.equal(w.publishers.channelsPerCall, 1000);
  assert.equal(w.subscribers.workers, 'auto');
  assert.deepEqual(w.subscribers.reconnect, { enabled: true, minDelay: 250, maxDelay: 5000 });
  assert.equal(w.drain, 5000);
  assert.deepEqual(w.limits, { maxEventLoopDelayP99Ms: 50, maxCpuShare: 0.9, sustained: 3000 });
  assert.deepEqual(parseWorkload(w), w, 'parsing a parsed workload changes nothing');
});

test('errors name the field', () => {
  assert.match(problem({ ...minimal, publishers: { ...minimal.publishers, rate: -1 } }), /workload\.publishers\.rate/);
  assert.match(
    problem({ ...minimal, publishers: { ...minimal.publishers, duration: '3 parsecs' } }),
    /workload\.publishers\.duration: invalid duration/,
  );
  assert.match(
    problem({ ...minimal, publishers: { ...minimal.publishers, maxVus: 5 } }),
    /workload\.publishers.*maxVus/,
  );
  assert.match(
    problem({ ...minimal, publishers: { executor: 'externally-controlled' } }),
    /workload\.publishers\.executor/,
  );
  assert.match(
    problem({ ...minimal, publishers: { ...minimal.publishers, maxVUs: 2 } }),
    /workload\.publishers\.maxVUs: must be at least preAllocatedVUs/,
  );
  assert.match(
    problem({ ...minimal, publishers: { ...minimal.publishers, target: 'kafka' } }),
    /workload\.publishers\.target: unknown target 'kafka'/,
  );
  assert.match(
    problem({ ...minimal, subscribers: { count: 100, stages: [{ duration: '10s', target: 50 }] } }),
    /workload\.subscribers\.stages\[0\]\.target: the last stage must reach subscribers\.count \(100\)/,
  );
  assert.match(
    problem({ ...minimal, faults: [{ at: '5s', action: 'kill-centrifugo-node' }] }),
    /workload\.faults\[0\]\.node/,
  );
  assert.match(
    problem({ ...minimal, faults: [{ at: '5s', action: 'pause-service', service: 'kafka' }] }),
    /workload\.faults\[0\]\.service/,
  );
});

test('a target module given by absolute path is accepted', () => {
  const w = parseWorkload({ ...minimal, publishers: { ...minimal.publishers, target: '/opt/my-target.ts' } });
  assert.equal(w.publishers.target, '/opt/my-target.ts');
});

test('fleet: one worker per core, more when the per-process socket limit needs it', () => {
  const machine = { openFiles: 20_000, cores: 2 };
  assert.deepEqual(
    planFleet(10_000, { workers: 'auto', maxSocketsPerWorker: 15_000 }, machine).perWorker,
    [5000, 5000],
  );
  assert.equal(planFleet(40_000, { workers: 'auto', maxSocketsPerWorker: 15_000 }, machine).workers, 3);
  assert.equal(planFleet(100, { workers: 'auto', maxSocketsPerWorker: 15_000 }, machine).workers, 1);
  // Up to 2,000 subscribers in one process (cheaper per delivery, measured), then one per core.
  assert.equal(planFleet(2000, { workers: 'auto', maxSocketsPerWorker: 15_000 }, machine).workers, 1);
  assert.deepEqual(planFleet(2001, { workers: 'auto', maxSocketsPerWorker: 15_000 }, machine).perWorker, [1001, 1000]);
  assert.equal(planFleet(0, { workers: 'auto', maxSocketsPerWorker: 15_000 }, machine).workers, 0);
  // An explicit count is raised when the open-files limit forbids it: 1,024 files → ≤ 691 sockets each.
  const small = planFleet(5000, { workers: 2, maxSocketsPerWorker: 15_000 }, { openFiles: 1024, cores: 2 });
  assert.equal(small.socketLimit, 691);
  assert.equal(small.workers, 8);
  assert.equal(
    small.perWorker.reduce((a, b) => a + b),
    5000,
  );
});

test('plan and description read like k6', () => {
  const plan = planWorkload(
    parseWorkload({ ...minimal, subscribers: { count: 10_000, connectRate: 1000, workers: 2 } }),
    { nodeCount: 1 },
  );
  assert.equal(plan.publishers.iterations, 300);
  assert.equal(plan.subscribers.rampMs, 10_000);
  const text = describeWorkload(
    parseWorkload({
      ...minimal,
      subscribers: { count: 10_000, connectRate: 1000, workers: 2 },
      faults: [{ at: '20s', action: 'kill-centrifugo-node', node: 1 }],
    }),
    { nodeCount: 1 },
  );
  assert.match(
    text,
    /subscribers: 10000 connections, 1000\/s \(~10s ramp\), 2 worker processes \(5000 each\), round-robin over 1 node/,
  );
  assert.match(
    text,
    /publishers: {2}constant-arrival-rate → centrifugo-broadcast: 10\.00 iterations\/s for 30s \(maxVUs: 10, gracefulStop: 30s\), 300 messages/,
  );
  assert.match(text, /faults: {6}at 20s kill-centrifugo-node 1/);
});

test('a deeply frozen workload plans and describes like an unfrozen one: the engine only reads it', () => {
  const input = {
    ...minimal,
    subscribers: { count: 3000, stages: [{ duration: '30s', target: 3000 }], nodes: [1, 2] },
    publishers: { executor: 'ramping-vus' as const, stages: [{ duration: '10s', target: 5 }] },
    faults: [{ at: '5s', action: 'kill-centrifugo-node' as const, node: 2 }],
  };
  const frozen = deepFreeze(parseWorkload(input));
  assert.deepEqual(planWorkload(frozen, { nodeCount: 2 }), planWorkload(parseWorkload(input), { nodeCount: 2 }));
  assert.equal(describeWorkload(frozen), describeWorkload(parseWorkload(input)));
  assert.deepEqual(
    planExecutor(frozen.publishers as ExecutorConfig),
    planExecutor(parseWorkload(input).publishers as ExecutorConfig),
  );
});

test('publishers.startAfter: waits for the fleet by default; ramp-start publishes alongside the ramp', () => {
  assert.equal(parseWorkload(minimal).publishers.startAfter, 'subscribers-connected');
  assert.match(
    problem({ ...minimal, publishers: { ...minimal.publishers, startAfter: 'later' } }),
    /workload\.publishers\.startAfter/,
  );
  const ramp = {
    subscribers: { count: 3000, stages: [{ duration: '30s', target: 3000 }], rampGrace: '10s' },
    publishers: { ...minimal.publishers, duration: '40s', gracefulStop: '5s' },
    drain: '5s',
  };
  // Sequential: ramp 30 s + grace 10 s + publishing 40 s + gracefulStop 5 s + drain 5 s.
  assert.equal(planWorkload(parseWorkload(ramp)).maxDurationMs, 90_000);
  const alongside = { ...ramp, publishers: { ...ramp.publishers, startAfter: 'ramp-start' as const } };
  // Concurrent: max(ramp 30 s, publishing 40 s + gracefulStop 5 s) + drain 5 s; no grace.
  assert.equal(planWorkload(parseWorkload(alongside)).maxDurationMs, 50_000);
  assert.match(describeWorkload(parseWorkload(alongside)), /starting with the connection ramp/);
  const short = { ...alongside, publishers: { ...alongside.publishers, duration: '20s' } };
  assert.match(describeWorkload(parseWorkload(short)), /publishing ends 10s before the ramp does/);
});

test('publishers.slowdown: a k6 duration down to microseconds, 0 (off) by default, at most 10 s', () => {
  const slowdown = (value: unknown) => ({ ...minimal, publishers: { ...minimal.publishers, slowdown: value } });
  assert.equal(parseWorkload(minimal).publishers.slowdown, 0);
  assert.equal(planWorkload(parseWorkload(minimal)).publishers.slowdownMs, 0);
  assert.doesNotMatch(describeWorkload(parseWorkload(minimal)), /slowdown/);
  for (const [value, ms] of [
    ['1.5ms', 1.5],
    ['250us', 0.25],
    ['1ms200us', 1.2],
    ['2ms', 2],
    [3, 3],
    ['10s', 10_000],
    [0, 0],
  ] as const) {
    assert.equal(parseWorkload(slowdown(value)).publishers.slowdown, ms, String(value));
  }
  assert.match(
    describeWorkload(parseWorkload(slowdown('1ms200us'))),
    /^publishers: .*, 300 messages; injected slowdown: every publication held 1\.2 ms longer before it is sent$/m,
  );
  assert.match(
    problem(slowdown('10001ms')),
    /^invalid workload: workload\.publishers\.slowdown: at most 10,000 ms of injected slowdown per publication: longer is an outage, not a slowdown \(use workload\.faults\)$/,
  );
  assert.match(problem(slowdown('a bit')), /workload\.publishers\.slowdown: invalid duration 'a bit'/);
  assert.match(problem(slowdown('1.5 ms')), /workload\.publishers\.slowdown: invalid duration/);
  assert.match(problem(slowdown(-1)), /workload\.publishers\.slowdown: invalid duration -1/);
});

test('honesty: a process over a limit for `sustained` seconds while measuring invalidates, with a reason', () => {
  const watch = new SaturationWatch({ maxEventLoopDelayP99Ms: 50, maxCpuShare: 0.9, sustained: 3000 });
  const sample = (loop: number, cpu = 0.2) => ({ cpu, cpuSeconds: cpu, eventLoopDelayP99Ms: loop, rssBytes: 0 });
  // Saturated while connecting: not measuring, does not count.
  for (let t = 1; t <= 5; t++) watch.observe('subscribers-1', sample(200, 1), t, false);
  // Two seconds over, then fine: too short.
  watch.observe('subscribers-1', sample(80), 6, true);
  watch.observe('subscribers-1', sample(90), 7, true);
  watch.observe('subscribers-1', sample(5), 8, true);
  assert.deepEqual(watch.reasons, []);
  // Three seconds over: invalid.
  watch.observe('publisher', sample(60), 9, true);
  watch.observe('publisher', sample(120), 10, true);
  watch.observe('publisher', sample(70, 0.95), 11, true);
  const reasons = watch.finish();
  assert.equal(reasons.length, 1);
  assert.match(reasons[0]!, /^publisher: event-loop delay p99 above 50 ms for 3 s in a row \(peak 120 ms at 10 s\)/);
});

test('honesty: several streaks of one process fold into one reason', () => {
  const watch = new SaturationWatch({ maxEventLoopDelayP99Ms: 50, maxCpuShare: 0.9, sustained: 3000 });
  const sample = (loop: number) => ({ cpu: 0.2, cpuSeconds: 0.2, eventLoopDelayP99Ms: loop, rssBytes: 0 });
  let t = 0;
  for (const [length, peak] of [
    [3, 80],
    [5, 300],
    [4, 90],
  ] as const) {
    for (let i = 0; i < length; i++) watch.observe('subscribers-1', sample(i === 1 ? peak : 60), ++t, true);
    watch.observe('subscribers-1', sample(5), ++t, true);
  }
  const reasons = watch.finish();
  assert.equal(reasons.length, 1);
  assert.match(
    reasons[0]!,
    /^subscribers-1: event-loop delay p99 above 50 ms in 3 streaks, 12 s in all \(longest 5 s\) \(peak 300 ms at 6 s\)/,
  );
});

test('every number is bounded, and the message gives the bound and the reason', () => {
  const withSubscribers = (extra: object) => ({ ...minimal, subscribers: { ...minimal.subscribers, ...extra } });
  const withPublishers = (extra: object) => ({ ...minimal, publishers: { ...minimal.publishers, ...extra } });
  assert.match(
    problem(withSubscribers({ count: 1e12 })),
    /workload\.subscribers\.count: at most 1,000,000 subscribers per run on one machine \(.*\); for more, shard the run/,
  );
  assert.match(problem(withPublishers({ rate: 1e15 })), /workload\.publishers\.rate: at most 1,000,000 iterations\/s/);
  assert.match(
    problem(withPublishers({ rate: 10_000, timeUnit: '1ms' })),
    /publishers\.timeUnit: at most 1,000,000 iterations\/s/,
  );
  assert.match(
    problem(withPublishers({ duration: '99999999h' })),
    /workload\.publishers\.duration: at most 24h per run phase/,
  );
  assert.match(
    problem(withPublishers({ rate: Number.POSITIVE_INFINITY })),
    /rate: expected a finite number, not Infinity/,
  );
  assert.match(problem(withPublishers({ preAllocatedVUs: 1e9 })), /preAllocatedVUs: at most 100,000 VUs/);
  assert.match(problem(withSubscribers({ connectRate: 1e9 })), /connectRate: at most 100,000 connections\/s/);
  assert.match(
    problem(withSubscribers({ count: 1_000_000, maxSocketsPerWorker: 1 })),
    /maxSocketsPerWorker: 1000000 subscribers at 1 per worker need 1000000 worker processes; at most 1,024/,
  );
});

test('the plan line stays short however many workers the fleet has', () => {
  const w = parseWorkload({ ...minimal, subscribers: { count: 999_999, workers: 1024 } });
  const text = describeWorkload(w);
  assert.match(text, /1024 worker processes \(976–977 each\)/);
  assert.ok(text.length < 2000, `${text.length} characters`);
});

test('subscribers.readBatchWindow: 1 ms by default, 0 turns it off, at most 5 ms, named in the plan', () => {
  const window = (value: unknown) => ({ ...minimal, subscribers: { ...minimal.subscribers, readBatchWindow: value } });
  assert.equal(parseWorkload(minimal).subscribers.readBatchWindow, 1);
  assert.match(
    describeWorkload(parseWorkload(minimal)),
    /^subscribers: .*; reads batched up to 1 ms while a broadcast trickles in \(a delivery's latency includes ≤ 1 ms of it\)$/m,
  );
  assert.equal(parseWorkload(window('0ms')).subscribers.readBatchWindow, 0);
  assert.doesNotMatch(describeWorkload(parseWorkload(window(0))), /reads batched/);
  assert.equal(parseWorkload(window('500us')).subscribers.readBatchWindow, 0.5);
  assert.match(
    problem(window('6ms')),
    /^invalid workload: workload\.subscribers\.readBatchWindow: at most 5 ms of read batch window \(longer only adds latency\)$/,
  );
});
