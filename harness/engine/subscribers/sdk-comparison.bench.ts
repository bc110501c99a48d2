/**
 * Side by side on one stack: this engine's subscriber fleet against the official centrifuge-js SDK (over
 * `ws`), both fleets listening to the same personal channels (users u1..uN, one connection of each fleet
 * per user), so every broadcast is delivered once to each fleet — same Centrifugo, same publications, CPU
 * read from /proc for each process over the same window (publish + drain).
 *
 *   flock /tmp/bench.lock node --import tsx harness/engine/subscribers/sdk-comparison.bench.ts
 *   SUBSCRIBERS=2000 RATE=1 DURATION=60s SDK_PROCESSES=2 WORKERS=2 flock /tmp/bench.lock node --import tsx …
 *   PROTOCOL=protobuf SDK_PROTOCOL=json IDLE=30s DURATION=45s flock /tmp/bench.lock node --import tsx …
 *   PING_INTERVAL=300s IDLE=30s DURATION=45s flock /tmp/bench.lock node --import tsx …
 *   READ_BATCH_WINDOW=0ms IDLE=30s DURATION=45s flock /tmp/bench.lock node --import tsx …
 *   REPEAT=5 WORKERS=1 IDLE=30s DURATION=45s flock /tmp/bench.lock node --import tsx …
 *
 * PROTOCOL is the engine fleet's Centrifugo protocol (json | protobuf, default json); SDK_PROTOCOL the SDK
 * fleet's (default json: `centrifuge`; protobuf: `centrifuge/build/protobuf`, the SDK's own Protobuf build).
 * PING_INTERVAL is Centrifugo's `client.ping_interval` (default: Centrifugo's own, 25s): a long one takes the
 * server's pings (and the pongs) out of the idle figure, leaving the fleets' own per-subscriber upkeep.
 * READER is the engine fleet's `subscribers.reader` (auto | native | node; `native,node` alternates them run by run,
 * one summary each). READ_BATCH_WINDOW is the engine fleet's `subscribers.readBatchWindow` (default the workload's, 1ms; 0ms = off).
 *
 * Prints, for each fleet: CPU-s per million deliveries (and the kernel's share of it), KB per idle subscriber
 * (RSS growth while connecting, over the subscribers), connect + subscribe CPU per subscriber, idle CPU per
 * subscriber (µs per second: Centrifugo's pings and the pongs, nothing else); then the ratios engine ÷ SDK.
 * The SDK fleet is started and fully subscribed first, then the engine runs its usual connect → publish →
 * drain, with the first IDLE (default 60s) of the publish phase silent (`publishers.startTime`). Windows, the
 * same for both fleets: connect + subscribe runs until SETTLE_S after the fleet is subscribed (the first
 * seconds after connecting still pay for it: GC of the connect garbage, V8's memory reducer, JIT), idle from
 * there to 1 s before the first publication, delivery from there to the end of the drain.
 *
 * REPEAT (default 1) runs the engine's side that many times against the same SDK fleet (still connected, its
 * CPU taken over each run's windows): one run's ratio moves by ±10 % on a shared VM, mostly with the SDK's own
 * figure. The summary gives each ratio's min, median and max over the runs and a verdict against issue 18's
 * goals (workers ≤ 0.4×, whole generator ≤ 0.5×): "met" only when every run is within the goal, "not met"
 * when none is, "inconclusive" otherwise.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseDuration } from '../../common/duration.ts';
import { median } from '../../common/median.ts';
import { processesWithEnv, withStack } from '../../stack/testing.ts';
import { runEngine } from '../index.ts';
import { SOCKET_READERS, type SocketReaderMode } from '../protocol/socket-reader/build.ts';
import { broadcastBenchWorkload, singleNodeTargets } from './broadcast-bench.ts';
import { isChildOf, sampleProcesses } from './process-sample.ts';

const subscribers = Number(process.env.SUBSCRIBERS ?? 2000);
const rate = Number(process.env.RATE ?? 1);
const duration = process.env.DURATION ?? '60s';
const sdkProcesses = Number(process.env.SDK_PROCESSES ?? 2);
const workers = Number(process.env.WORKERS ?? 2);
const payloadBytes = Number(process.env.PAYLOAD_BYTES ?? 128);
const idle = process.env.IDLE ?? '60s';
const settleMs = Number(process.env.SETTLE_S ?? 5) * 1000;
const protocol = process.env.PROTOCOL === 'protobuf' ? 'protobuf' : 'json';
const sdkProtocol = process.env.SDK_PROTOCOL === 'protobuf' ? 'protobuf' : 'json';
const pingInterval = process.env.PING_INTERVAL;
const readBatchWindow = process.env.READ_BATCH_WINDOW;
/** The engine fleet's `subscribers.reader`; a list (`native,node`) alternates them run by run. */
const readers = (process.env.READER ?? 'auto').split(',') as SocketReaderMode[];
if (!readers.every((reader) => SOCKET_READERS.includes(reader))) {
  process.stderr.write(
    `READER must be ${SOCKET_READERS.join(', ')} or a comma list of them, got ${process.env.READER}\n`,
  );
  process.exit(2);
}
const repeat = Number(process.env.REPEAT ?? 1);
if (!Number.isInteger(repeat) || repeat < 1 || repeat > 50) {
  process.stderr.write(`REPEAT must be a whole number of runs from 1 to 50, got ${process.env.REPEAT}\n`);
  process.exit(2);
}
/** Issue 18's goals: engine ÷ SDK CPU per delivery. */
const GOALS = { workersOverSdk: 0.4, generatorOverSdk: 0.5 } as const;

const TSX = import.meta.resolve('tsx');
const SDK_ENTRY = fileURLToPath(new URL('./sdk-fleet-process.ts', import.meta.url));

interface SdkCount {
  type: 'count';
  delivered: number;
  subscribed: number;
  rssBytes: number;
}

function ask(child: ChildProcess): Promise<SdkCount> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== 'count') return;
      child.off('message', onMessage);
      resolve(message as SdkCount);
    };
    child.on('message', onMessage);
    child.send({ type: 'count' });
  });
}

async function askAll(children: ChildProcess[]): Promise<{ delivered: number; subscribed: number }> {
  const counts = await Promise.all(children.map(ask));
  return {
    delivered: counts.reduce((sum, c) => sum + c.delivered, 0),
    subscribed: counts.reduce((sum, c) => sum + c.subscribed, 0),
  };
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** min, median and max of the runs' values (nulls left out). */
function spread(values: Array<number | null>): { min: number; median: number; max: number } | null {
  const known = values.filter((v): v is number => v !== null);
  if (!known.length) return null;
  return { min: Math.min(...known), median: round(median(known)!, 3), max: Math.max(...known) };
}

/** Every run within the goal: met; none: not met; some (or a ratio missing): inconclusive. */
function verdict(values: Array<number | null>, goal: number): 'met' | 'not met' | 'inconclusive' {
  if (values.some((v) => v === null)) return 'inconclusive';
  if (values.every((v) => v! <= goal)) return 'met';
  if (values.every((v) => v! > goal)) return 'not met';
  return 'inconclusive';
}

const centrifugo = { logLevel: 'warn' as const, ...(pingInterval ? { pingInterval } : {}) };
await withStack({ engine: 'memory', nodes: 1, centrifugo }, async (stack) => {
  const node = stack.endpoints.centrifugo.nodes[0]!;

  // ── The SDK fleet: forked, baseline sampled once the SDK is loaded, then connected to the end. ──
  const children: ChildProcess[] = [];
  const per = Math.ceil(subscribers / sdkProcesses);
  for (let i = 0; i < sdkProcesses; i++) {
    const first = 1 + i * per;
    const count = Math.min(per, subscribers - i * per);
    const child = fork(SDK_ENTRY, [], {
      execArgv: ['--import', TSX],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        SDK_FLEET_URL: node.wsUrl,
        SDK_FLEET_SECRET: stack.secrets.centrifugoHmacSecret,
        SDK_FLEET_FIRST: String(first),
        SDK_FLEET_COUNT: String(count),
        SDK_FLEET_PROTOCOL: sdkProtocol,
      },
    });
    children.push(child);
  }
  const sdkPids = children.map((c) => c.pid!);
  await Promise.all(children.map((c) => new Promise<void>((resolve) => c.once('message', () => resolve()))));
  const sdkLoaded = sampleProcesses(sdkPids);
  const sdkConnectStarted = performance.now();
  for (;;) {
    const { subscribed } = await askAll(children);
    if (subscribed >= subscribers) break;
    if (performance.now() - sdkConnectStarted > 120_000) throw new Error(`SDK fleet: ${subscribed} subscribed`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const sdkConnected = sampleProcesses(sdkPids);
  process.stderr.write(`SDK fleet: ${subscribers} subscribed in ${sdkPids.length} processes\n`);

  // ── The engine fleet (REPEAT times), sampled at the same phase boundaries as the SDK fleet. ──
  // The engine forks its workers from this process: its children only, not another run's workers.
  const ownWorkers = (id: string) =>
    processesWithEnv('CENTRIFUGO_BENCH_WORKER', id).filter((pid) => isChildOf(pid, process.pid));
  const enginePids = () => Array.from({ length: workers }, (_, i) => `subscribers-${i + 1}`).flatMap(ownWorkers);
  const publisherPids = () => ownWorkers('publisher');
  const idleMs = parseDuration(idle);
  // The idle window's end and the delivery window's start: 1 s before the first publication is due.
  const idleSampleMs = Math.max(settleMs, idleMs - 1000);
  const workloadFor = (reader: SocketReaderMode) =>
    broadcastBenchWorkload({
      subscribers,
      connectRate: 1000,
      workers,
      rate,
      duration,
      payloadBytes,
      startTime: idle,
      protocol,
      reader,
      ...(readBatchWindow === undefined ? {} : { readBatchWindow }),
    });
  const runOnce = async (reader: SocketReaderMode) => {
    const workload = workloadFor(reader);
    let workerPids: number[] = [];
    let generatorPids: number[] = [];
    let publisherPidList: number[] = [];
    const samples: Record<
      string,
      {
        workers: ReturnType<typeof sampleProcesses>;
        generator: ReturnType<typeof sampleProcesses>;
        engineProcess: ReturnType<typeof sampleProcesses>;
        publisher: ReturnType<typeof sampleProcesses>;
        sdk: ReturnType<typeof sampleProcesses>;
        sdkDelivered: Promise<number>;
      }
    > = {};
    const sampleAll = (name: string) => {
      samples[name] = {
        workers: sampleProcesses(workerPids),
        generator: sampleProcesses(generatorPids),
        engineProcess: sampleProcesses([process.pid]),
        publisher: sampleProcesses(publisherPidList),
        sdk: sampleProcesses(sdkPids),
        sdkDelivered: askAll(children).then((c) => c.delivered),
      };
    };
    let engineDeliveredInWindow = 0;
    let phase = '';
    const timers: NodeJS.Timeout[] = [];
    const result = await runEngine(workload, singleNodeTargets(node, stack.secrets), {
      onEvent(e) {
        if (e.kind !== 'phase') return;
        phase = e.name;
        if (e.name === 'connect') {
          workerPids = enginePids();
          // The whole generator: this process (the engine) + its publisher + its subscriber workers.
          publisherPidList = publisherPids();
          generatorPids = [process.pid, ...publisherPidList, ...workerPids];
          sampleAll('connect');
        }
        if (e.name === 'publish' || e.name === 'account') sampleAll(e.name);
        if (e.name === 'publish') {
          timers.push(setTimeout(() => sampleAll('settled'), settleMs));
          timers.push(setTimeout(() => sampleAll('busy'), idleSampleMs));
        }
      },
      onPoint(p) {
        if (phase === 'publish' || phase === 'drain') engineDeliveredInWindow += p.counters.messages_delivered ?? 0;
      },
    });
    for (const timer of timers) clearTimeout(timer);
    const connect = samples.connect!;
    const settled = samples.settled ?? samples.publish!;
    const busy = samples.busy ?? settled;
    const account = samples.account!;
    const idleS = (idleSampleMs - settleMs) / 1000;
    const sdkDelivered = (await account.sdkDelivered) - (await busy.sdkDelivered);
    const m = result.metrics;
    const count = (name: string) => (m[name]?.type === 'counter' ? m[name].count : 0);

    type Sample = ReturnType<typeof sampleProcesses>;
    /** The kernel's share of the CPU between two samples. */
    const share = (end: Sample, start: Sample) => {
      const cpu = end.cpuSeconds - start.cpuSeconds;
      return cpu > 0 ? round((end.systemSeconds - start.systemSeconds) / cpu, 2) : null;
    };
    const perMillion = (cpu: number, delivered: number) => (delivered ? round((cpu / delivered) * 1e6) : null);
    const engineWorkersCpu = account.workers.cpuSeconds - busy.workers.cpuSeconds;
    const engineWorkersSystem = account.workers.systemSeconds - busy.workers.systemSeconds;
    const engineGeneratorCpu = account.generator.cpuSeconds - busy.generator.cpuSeconds;
    const sdkCpu = account.sdk.cpuSeconds - busy.sdk.cpuSeconds;
    const sdkSystem = account.sdk.systemSeconds - busy.sdk.systemSeconds;
    /** CPU µs per subscriber per second over the idle window (null without one). */
    const idleUs = (cpu: number) => (idleS > 0 ? round((cpu / subscribers / idleS) * 1e6, 2) : null);
    const engineIdleUs = idleUs(busy.workers.cpuSeconds - settled.workers.cpuSeconds);
    const sdkIdleUs = idleUs(busy.sdk.cpuSeconds - settled.sdk.cpuSeconds);
    const engineWorkersPerM = perMillion(engineWorkersCpu, engineDeliveredInWindow);
    const engineGeneratorPerM = perMillion(engineGeneratorCpu, engineDeliveredInWindow);
    const sdkPerM = perMillion(sdkCpu, sdkDelivered);
    const figures = {
      conditions: {
        subscribers,
        ratePerS: rate,
        duration,
        idle,
        settleS: settleMs / 1000,
        payloadBytes,
        engineWorkers: workers,
        sdkProcesses,
        engineProtocol: protocol,
        engineReadBatchWindowMs: workload.subscribers.readBatchWindow,
        engineReader: reader,
        sdkProtocol,
        pingInterval: pingInterval ?? '25s (Centrifugo default)',
      },
      published: count('messages_published'),
      lost: count('messages_lost'),
      duplicated: count('messages_duplicated'),
      valid: result.valid,
      // The engine's delivery latency over the whole run (publish → the socket read that completed the frame).
      engineDeliveryLatencyMs:
        m.delivery_latency?.type === 'trend'
          ? { med: m.delivery_latency.med, p90: m.delivery_latency.p90, p99: m.delivery_latency.p99 }
          : null,
      invalidReasons: result.invalidReasons,
      engine: {
        deliveredInWindow: engineDeliveredInWindow,
        workersCpuSeconds: round(engineWorkersCpu, 2),
        workersCpuSecondsPerMillionDeliveries: engineWorkersPerM,
        workersSystemShare: engineWorkersCpu ? round(engineWorkersSystem / engineWorkersCpu, 2) : null,
        generatorCpuSeconds: round(engineGeneratorCpu, 2),
        generatorCpuSecondsPerMillionDeliveries: engineGeneratorPerM,
        // The generator's split over the delivery window: the engine process (this one: ticker, merge,
        // honesty, outputs) and the publisher process, CPU-s per million deliveries each.
        engineProcessCpuSecondsPerMillionDeliveries: perMillion(
          account.engineProcess.cpuSeconds - busy.engineProcess.cpuSeconds,
          engineDeliveredInWindow,
        ),
        publisherCpuSecondsPerMillionDeliveries: perMillion(
          account.publisher.cpuSeconds - busy.publisher.cpuSeconds,
          engineDeliveredInWindow,
        ),
        engineProcessSystemShare: share(account.engineProcess, busy.engineProcess),
        publisherSystemShare: share(account.publisher, busy.publisher),
        engineProcessIdleCpuMsPerSecond:
          idleS > 0
            ? round(((busy.engineProcess.cpuSeconds - settled.engineProcess.cpuSeconds) / idleS) * 1e3, 2)
            : null,
        publisherIdleCpuMsPerSecond:
          idleS > 0 ? round(((busy.publisher.cpuSeconds - settled.publisher.cpuSeconds) / idleS) * 1e3, 2) : null,
        kbPerIdleSubscriber: round((settled.workers.rssBytes - connect.workers.rssBytes) / 1024 / subscribers),
        connectSubscribeCpuUsPerSubscriber: round(
          ((settled.workers.cpuSeconds - connect.workers.cpuSeconds) / subscribers) * 1e6,
          0,
        ),
        idleCpuUsPerSubscriberPerSecond: engineIdleUs,
      },
      sdk: {
        deliveredInWindow: sdkDelivered,
        cpuSeconds: round(sdkCpu, 2),
        cpuSecondsPerMillionDeliveries: sdkPerM,
        systemShare: sdkCpu ? round(sdkSystem / sdkCpu, 2) : null,
        kbPerIdleSubscriber: round((sdkConnected.rssBytes - sdkLoaded.rssBytes) / 1024 / subscribers),
        connectSubscribeCpuUsPerSubscriber: round(
          ((sdkConnected.cpuSeconds - sdkLoaded.cpuSeconds) / subscribers) * 1e6,
          0,
        ),
        idleCpuUsPerSubscriberPerSecond: sdkIdleUs,
      },
      ratio: {
        workersOverSdk: engineWorkersPerM && sdkPerM ? round(engineWorkersPerM / sdkPerM, 2) : null,
        generatorOverSdk: engineGeneratorPerM && sdkPerM ? round(engineGeneratorPerM / sdkPerM, 2) : null,
        idleWorkersOverSdk: engineIdleUs && sdkIdleUs ? round(engineIdleUs / sdkIdleUs, 2) : null,
      },
    };
    return figures;
  };
  const runs: Array<Awaited<ReturnType<typeof runOnce>>> = [];
  for (let run = 1; run <= repeat; run++) {
    const reader = readers[(run - 1) % readers.length]!;
    const figures = await runOnce(reader);
    runs.push(figures);
    const r = figures.ratio;
    process.stderr.write(
      `run ${run}/${repeat} (reader ${reader}): workers ${figures.engine.workersCpuSecondsPerMillionDeliveries} · SDK ` +
        `${figures.sdk.cpuSecondsPerMillionDeliveries} CPU-s per million → ${r.workersOverSdk}× (generator ${r.generatorOverSdk}×)\n`,
    );
  }
  for (const child of children) child.send({ type: 'stop' });
  await Promise.all(children.map((c) => new Promise((resolve) => c.once('exit', resolve))));
  if (repeat === 1) {
    console.log(JSON.stringify(runs[0], null, 2));
    return;
  }
  const summarize = (set: typeof runs) => {
    const goal = (key: keyof typeof GOALS) => {
      const values = set.map((f) => f.ratio[key]);
      return { goal: GOALS[key], ...spread(values), verdict: verdict(values, GOALS[key]) };
    };
    return {
      runs: set.length,
      workersOverSdk: goal('workersOverSdk'),
      generatorOverSdk: goal('generatorOverSdk'),
      idleWorkersOverSdk: spread(set.map((f) => f.ratio.idleWorkersOverSdk)),
      lost: set.reduce((sum, f) => sum + f.lost, 0),
      duplicated: set.reduce((sum, f) => sum + f.duplicated, 0),
      allValid: set.every((f) => f.valid),
    };
  };
  // Alternated readers: one summary each (their runs interleaved against the same SDK fleet).
  const summary =
    readers.length === 1
      ? summarize(runs)
      : Object.fromEntries(readers.map((r) => [r, summarize(runs.filter((f) => f.conditions.engineReader === r))]));
  console.log(JSON.stringify({ runs, summary }, null, 2));
});
