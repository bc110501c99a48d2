/**
 * Side by side on one stack: this engine's subscriber fleet against the official centrifuge-js SDK (over
 * `ws`), both fleets listening to the same personal channels (users u1..uN, one connection of each fleet
 * per user), so every broadcast is delivered once to each fleet — same Centrifugo, same publications, CPU
 * read from /proc for each process over the same window (publish + drain).
 *
 *   flock /tmp/bench.lock node --import tsx harness/engine/subscribers/sdk-comparison.bench.ts
 *   SUBSCRIBERS=2000 RATE=1 DURATION=60s SDK_PROCESSES=2 WORKERS=2 flock /tmp/bench.lock node --import tsx …
 *
 * Prints, for each fleet: CPU-s per million deliveries, KB per idle subscriber (RSS growth while connecting,
 * over the subscribers), connect + subscribe CPU per subscriber; then the ratios engine ÷ SDK. The SDK fleet
 * is started and fully subscribed first, then the engine runs its usual connect → publish → drain.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { processesWithEnv, withStack } from '../../stack/testing.ts';
import { parseWorkload, runEngine } from '../index.ts';
import { sampleProcesses } from './process-sample.ts';

const subscribers = Number(process.env.SUBSCRIBERS ?? 2000);
const rate = Number(process.env.RATE ?? 1);
const duration = process.env.DURATION ?? '60s';
const sdkProcesses = Number(process.env.SDK_PROCESSES ?? 2);
const workers = Number(process.env.WORKERS ?? 2);
const payloadBytes = Number(process.env.PAYLOAD_BYTES ?? 128);

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

await withStack({ engine: 'memory', nodes: 1, centrifugo: { logLevel: 'warn' } }, async (stack) => {
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
  const sdkConnected = sampleProcesses(sdkPids);
  process.stderr.write(`SDK fleet: ${subscribers} subscribed in ${sdkPids.length} processes\n`);

  // ── The engine fleet, sampled at the same phase boundaries. ──
  const enginePids = () => {
    const ids = Array.from({ length: workers }, (_, i) => `subscribers-${i + 1}`);
    return ids.flatMap((id) => processesWithEnv('CENTRIFUGO_BENCH_WORKER', id));
  };
  const publisherPids = () => processesWithEnv('CENTRIFUGO_BENCH_WORKER', 'publisher');
  let workerPids: number[] = [];
  let generatorPids: number[] = [];
  const samples: Record<
    string,
    {
      workers: ReturnType<typeof sampleProcesses>;
      generator: ReturnType<typeof sampleProcesses>;
      sdk: ReturnType<typeof sampleProcesses>;
      sdkDelivered: Promise<number>;
    }
  > = {};
  const sampleAll = (name: string) => {
    samples[name] = {
      workers: sampleProcesses(workerPids),
      generator: sampleProcesses(generatorPids),
      sdk: sampleProcesses(sdkPids),
      sdkDelivered: askAll(children).then((c) => c.delivered),
    };
  };
  let engineDeliveredInWindow = 0;
  let phase = '';
  const result = await runEngine(
    parseWorkload({
      subscribers: { count: subscribers, connectRate: 1000, workers },
      publishers: { executor: 'constant-arrival-rate', rate, duration, preAllocatedVUs: 20, maxVUs: 100, payloadBytes },
      drain: '5s',
    }),
    {
      centrifugo: {
        wsUrls: [node.wsUrl],
        apiUrls: [node.apiUrl],
        apiKey: stack.secrets.centrifugoApiKey,
        hmacSecret: stack.secrets.centrifugoHmacSecret,
      },
    },
    {
      onEvent(e) {
        if (e.kind !== 'phase') return;
        phase = e.name;
        if (e.name === 'connect') {
          workerPids = enginePids();
          // The whole generator: this process (the engine) + its publisher + its subscriber workers.
          generatorPids = [process.pid, ...publisherPids(), ...workerPids];
          sampleAll('connect');
        }
        if (e.name === 'publish' || e.name === 'account') sampleAll(e.name);
      },
      onPoint(p) {
        if (phase === 'publish' || phase === 'drain') engineDeliveredInWindow += p.counters.messages_delivered ?? 0;
      },
    },
  );
  const connect = samples.connect!;
  const publish = samples.publish!;
  const account = samples.account!;
  const sdkDelivered = (await account.sdkDelivered) - (await publish.sdkDelivered);
  const m = result.metrics;
  const count = (name: string) => (m[name]?.type === 'counter' ? m[name].count : 0);
  for (const child of children) child.send({ type: 'stop' });
  await Promise.all(children.map((c) => new Promise((resolve) => c.once('exit', resolve))));

  const perMillion = (cpu: number, delivered: number) => (delivered ? round((cpu / delivered) * 1e6) : null);
  const engineWorkersCpu = account.workers.cpuSeconds - publish.workers.cpuSeconds;
  const engineGeneratorCpu = account.generator.cpuSeconds - publish.generator.cpuSeconds;
  const sdkCpu = account.sdk.cpuSeconds - publish.sdk.cpuSeconds;
  const engineWorkersPerM = perMillion(engineWorkersCpu, engineDeliveredInWindow);
  const engineGeneratorPerM = perMillion(engineGeneratorCpu, engineDeliveredInWindow);
  const sdkPerM = perMillion(sdkCpu, sdkDelivered);
  const figures = {
    conditions: { subscribers, ratePerS: rate, duration, payloadBytes, engineWorkers: workers, sdkProcesses },
    published: count('messages_published'),
    lost: count('messages_lost'),
    duplicated: count('messages_duplicated'),
    valid: result.valid,
    invalidReasons: result.invalidReasons,
    engine: {
      deliveredInWindow: engineDeliveredInWindow,
      workersCpuSeconds: round(engineWorkersCpu, 2),
      workersCpuSecondsPerMillionDeliveries: engineWorkersPerM,
      generatorCpuSeconds: round(engineGeneratorCpu, 2),
      generatorCpuSecondsPerMillionDeliveries: engineGeneratorPerM,
      kbPerIdleSubscriber: round((publish.workers.rssBytes - connect.workers.rssBytes) / 1024 / subscribers),
      connectSubscribeCpuUsPerSubscriber: round(
        ((publish.workers.cpuSeconds - connect.workers.cpuSeconds) / subscribers) * 1e6,
        0,
      ),
    },
    sdk: {
      deliveredInWindow: sdkDelivered,
      cpuSeconds: round(sdkCpu, 2),
      cpuSecondsPerMillionDeliveries: sdkPerM,
      kbPerIdleSubscriber: round((sdkConnected.rssBytes - sdkLoaded.rssBytes) / 1024 / subscribers),
      connectSubscribeCpuUsPerSubscriber: round(
        ((sdkConnected.cpuSeconds - sdkLoaded.cpuSeconds) / subscribers) * 1e6,
        0,
      ),
    },
    ratio: {
      workersOverSdk: engineWorkersPerM && sdkPerM ? round(engineWorkersPerM / sdkPerM, 2) : null,
      generatorOverSdk: engineGeneratorPerM && sdkPerM ? round(engineGeneratorPerM / sdkPerM, 2) : null,
    },
  };
  console.log(JSON.stringify(figures, null, 2));
});
