/**
 * The push-flood benchmark, until `run scenarios/push-flood.ts` is wired: starts a local stack (PostgreSQL,
 * Redis, push sink, push relay), runs one flood, prints one JSON summary line (wall time, pushes/s, e2e
 * p50/p99, CPU seconds of relay / sink / generator, sink requests per sink-CPU-second) and exits.
 *
 *   node --import tsx harness/engine/push/push-flood.bench.ts --pushes 1000000 --devices 100000
 *
 * --pushes counts device messages (--recipients token:auto packs 500 into one call at max rate; token:1 is the
 * old one-call-per-device shape). cpuUsPerPush: each component's CPU µs per device message (generator: whole run).
 *
 * Like the integration tests it imports the stack; the flood itself (push-flood.ts) never does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { withStack } from '../../stack/testing.ts';
import { parsePushFlood, runPushFlood } from './push-flood.ts';

const { values } = parseArgs({
  options: {
    pushes: { type: 'string', default: '100000' },
    devices: { type: 'string', default: '100000' },
    rate: { type: 'string', default: 'max' },
    concurrency: { type: 'string', default: '64' },
    recipients: { type: 'string', default: 'token:auto' },
    variant: { type: 'string', default: 'none' },
    'worker-processes': { type: 'string', default: 'auto' },
    'relay-concurrency': { type: 'string', default: '400' },
    // HTTP/2 sessions each relay worker process opens per provider origin (the relay's default, 2).
    'relay-connections': { type: 'string', default: '2' },
    // One sink worker per core: one worker was the flood's bottleneck (issue 17, harness/sut/push-sink/README.md).
    'sink-workers': { type: 'string', default: 'auto' },
    'webpush-share': { type: 'string', default: '0.2' },
    payload: { type: 'string', default: '256' },
    // Throughput runs decrypt a 1 % sample of Web Push payloads (VAPID is still verified on every request);
    // conformance tests keep the sink's default, 1 (every payload).
    'decrypt-sample': { type: 'string', default: '0.01' },
    progress: { type: 'boolean', default: false },
  },
});

/** Clock ticks per second in /proc/<pid>/stat (USER_HZ; 100 on Linux). */
const ticks = 100;

/** CPU seconds of a process and its live descendants (the sink's cluster workers, the relay's workers). */
function treeCpuSeconds(root: number): number {
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      cpu.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / ticks);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {}
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    total += cpu.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

const [kind, count] = values.recipients.split(':') as ['token' | 'device' | 'topic', string];
const share = Number(values['webpush-share']);
const sinkWorkers = values['sink-workers'] === 'auto' ? 'auto' : Number(values['sink-workers']);

await withStack(
  {
    pushSink: { workers: sinkWorkers, webPush: { decryptSampleRate: Number(values['decrypt-sample']) } },
    pushRelay: {
      workerProcesses: values['worker-processes'] === 'auto' ? 'auto' : Number(values['worker-processes']),
      concurrency: Number(values['relay-concurrency']),
      connectionsPerOrigin: Number(values['relay-connections']),
      // Fault variants drain in seconds, not minutes (the realistic 429 backoff is 60 s).
      retry: { baseDelayMs: 500, rateLimitedInitialDelayMs: 1000 },
    },
  },
  async (stack) => {
    const sink = stack.endpoints.pushSink!;
    const pids = stack.processIds();
    const tree = (name: string) => (pids[name] ? treeCpuSeconds(pids[name]) : 0);
    const snapshot = () => ({
      relay: tree('push-relay'),
      sink: tree('push-sink'),
      redis: tree('redis'),
      postgres: tree('postgres'),
    });
    // CPU from the first enqueue on: registration is not part of the per-push cost.
    let cpuBefore = snapshot();
    const started = performance.now();
    const result = await runPushFlood(
      parsePushFlood({
        devices: { count: Number(values.devices), mix: { fcm: 1 - share, webpush: share } },
        pushes: {
          total: Number(values.pushes),
          rate: values.rate === 'max' ? 'max' : Number(values.rate),
          concurrency: Number(values.concurrency),
          recipients:
            kind === 'topic'
              ? { kind, count: Number(count) }
              : { kind, count: count === 'auto' ? 'auto' : Number(count) },
          payloadBytes: Number(values.payload),
        },
        sinkFaults: values.variant as 'none',
        drainTimeoutS: 3600,
      }),
      {
        relayUrl: stack.endpoints.pushRelay!.url,
        relayApiKey: stack.secrets.centrifugoApiKey,
        sinkControlUrl: sink.controlUrl,
        caFile: sink.caFile,
      },
      {
        onEvent: (e) => {
          if (e.name === 'enqueue') cpuBefore = snapshot();
        },
        onProgress: (p) => {
          if (values.progress) process.stderr.write(`${JSON.stringify(p)}\n`);
        },
      },
    );
    const wallS = (performance.now() - started) / 1000;
    const cpu = {
      relay: tree('push-relay') - cpuBefore.relay,
      sink: tree('push-sink') - cpuBefore.sink,
      generator: result.generator.cpuSeconds, // whole run, registration included
      redis: tree('redis') - cpuBefore.redis,
      // Backends that exited take their CPU time with them: a floor, never below 0.
      postgres: Math.max(0, tree('postgres') - cpuBefore.postgres),
    };
    const enqueue = result.timeline.find((e) => e.name === 'enqueue')!;
    const drained = result.timeline.find((e) => e.name === 'drained' || e.name === 'drain timeout')!;
    const floodS = drained.at - enqueue.at;
    const e2e = result.metrics.push_e2e_latency;
    const enq = result.metrics.push_enqueue_duration;
    const sinkRequests =
      (result.sink?.receipts ?? 0) +
      (result.retries ?? 0) +
      Object.values(result.push_ledger.failed).reduce((a, b) => a + b, 0);
    console.log(
      JSON.stringify({
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg().map((l) => l.toFixed(2)) },
        args: values,
        wallS: Math.round(wallS * 10) / 10,
        enqueueToDrainedS: Math.round(floodS * 10) / 10,
        pushesPerS: Math.round(result.push_ledger.enqueued / floodS),
        ledger: result.push_ledger,
        retries: result.retries,
        sink: result.sink,
        e2eMs: e2e?.type === 'trend' ? { p50: e2e.med, p90: e2e.p90, p99: e2e.p99, max: e2e.max } : null,
        enqueueMs: enq?.type === 'trend' ? { p50: enq.med, p99: enq.p99 } : null,
        cpuSeconds: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round(v * 10) / 10])),
        cpuUsPerPush: Object.fromEntries(
          Object.entries(cpu).map(([k, v]) => [k, Math.round((v * 1e6) / Math.max(1, result.push_ledger.enqueued))]),
        ),
        relayPushesPerCpuSecond: Math.round(result.push_ledger.enqueued / cpu.relay),
        sinkRequestsPerCpuSecond: Math.round(sinkRequests / cpu.sink),
        valid: result.valid,
        invalidReasons: result.invalidReasons,
      }),
    );
  },
);
