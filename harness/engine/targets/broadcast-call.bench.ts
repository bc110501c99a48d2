/**
 * flock /tmp/bench.lock node --import tsx harness/engine/targets/broadcast-call.bench.ts
 * The publisher's fixed cost per broadcast (issue 18): one real Centrifugo (local stack, memory engine, no
 * subscribers — the reply to a broadcast has the same shape with or without them) and a client process
 * that sends broadcasts through the publisher's own code (`CentrifugoBroadcastTarget.send`): each to
 * CHANNELS personal channels in calls of 1,000 (2,000 = the sdk-comparison run's 2 calls a broadcast),
 * PAYLOAD_BYTES of publication data. First the target's `warmUp()`, as the publisher worker makes it before
 * the run (WARM_UP=0 skips it), and the first broadcast, each measured alone (the first broadcast 1 s before the
 * next, so V8's background compiles land in it); then PACED broadcasts at RATE a second (the real run's
 * schedule: the JIT and caches are as cold as there), then BURST back to back. Prints the client's CPU per call (user,
 * system, and the main thread's share: the rest is V8's helper threads) and its RSS.
 *
 * The client is a process of its own, forked with the publisher worker's Node flags (`worker-process.ts`)
 * plus CLIENT_EXEC_ARGV (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`), so no stack upkeep is counted in it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { monoUs } from '../../common/mono-clock.ts';
import { sampleThread } from '../subscribers/process-sample.ts';
import { DEFAULT_EXEC_ARGV } from '../worker-process.ts';
import { CentrifugoBroadcastTarget } from './centrifugo-broadcast.ts';
import { unpaddedDataBytes } from './publish-target.ts';

const CHANNELS = Number(process.env.CHANNELS ?? 2000);
const PAYLOAD_BYTES = Number(process.env.PAYLOAD_BYTES ?? 128);
const PACED = Number(process.env.PACED ?? 30);
const RATE = Number(process.env.RATE ?? 1);
const BURST = Number(process.env.BURST ?? 200);
const WARMUP = 5;
/** WARM_UP=0: no `target.warmUp()` before the first broadcast (the publisher worker makes it; the bench shows both). */
const WARM_UP = process.env.WARM_UP !== '0';
const CALLS_PER_BROADCAST = Math.ceil(CHANNELS / 1000);

interface Phase {
  name: string;
  broadcasts: number;
  userMs: number;
  systemMs: number;
  mainMs: number;
  /** read and write system calls (/proc/self/io syscr, syscw): how many pieces a reply arrives in. */
  reads: number;
  writes: number;
  rssMb: number;
}

if (process.env.BROADCAST_CALL_API_URL) await client();
else await parent();

async function parent(): Promise<void> {
  const { withStack } = await import('../../stack/testing.ts');
  await withStack({ engine: 'memory', nodes: 1, centrifugo: { logLevel: 'warn' } }, async (stack) => {
    const node = stack.endpoints.centrifugo.nodes[0]!;
    const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
      execArgv: [
        '--import',
        import.meta.resolve('tsx'),
        ...DEFAULT_EXEC_ARGV,
        ...(process.env.CLIENT_EXEC_ARGV ?? '').split(' ').filter(Boolean),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        BROADCAST_CALL_API_URL: node.apiUrl,
        BROADCAST_CALL_API_KEY: stack.secrets.centrifugoApiKey,
      },
    });
    const phases = await new Promise<Phase[]>((resolve, reject) => {
      child.once('message', (message) => resolve(message as Phase[]));
      child.once('exit', (code) => reject(new Error(`client exited (code ${code})`)));
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const calls = (p: Phase) => p.broadcasts * CALLS_PER_BROADCAST;
    console.log(
      `${CHANNELS} channels a broadcast = ${CALLS_PER_BROADCAST} calls, ${PAYLOAD_BYTES} B, flags: ${process.env.CLIENT_EXEC_ARGV ?? '-'}`,
    );
    for (const p of phases) {
      const per = (ms: number) => ((ms * 1000) / calls(p)).toFixed(0).padStart(6);
      console.log(
        `${p.name.padEnd(14)} ${String(calls(p)).padStart(4)} calls  µs/call: cpu ${per(p.userMs + p.systemMs)}  user ${per(p.userMs)}  sys ${per(p.systemMs)}  main thread ${per(p.mainMs)}  reads ${(p.reads / calls(p)).toFixed(1)} writes ${(p.writes / calls(p)).toFixed(1)} a call   RSS ${p.rssMb.toFixed(1)} MB`,
      );
    }
  });
}

async function client(): Promise<void> {
  const channels = Array.from({ length: CHANNELS }, (_, i) => `personal:u${i + 1}`);
  const target = new CentrifugoBroadcastTarget({
    centrifugo: { apiUrls: [process.env.BROADCAST_CALL_API_URL!], apiKey: process.env.BROADCAST_CALL_API_KEY! },
    streams: { broadcast: channels },
    options: {},
    runNonce: `bench${Date.now()}`,
    maxConcurrency: 1,
    requestTimeoutMs: 10_000,
  });
  // The publisher's padding: the data is PAYLOAD_BYTES with the marker.
  const padding = 'x'.repeat(PAYLOAD_BYTES);
  let q = 0;
  const broadcast = async () => {
    const marker = { s: 'broadcast', q: ++q, t: monoUs() };
    const outcome = await target.send({
      marker,
      padding: padding.slice(0, Math.max(0, PAYLOAD_BYTES - unpaddedDataBytes(marker))),
    });
    if (!outcome.ok || outcome.failedRecipients) throw new Error(`broadcast failed: ${JSON.stringify(outcome)}`);
  };
  /** The client's CPU, main thread, system calls and RSS over `work`, counted as `broadcasts`. */
  const measureWork = async (name: string, broadcasts: number, work: () => Promise<void>): Promise<Phase> => {
    const cpu = process.cpuUsage();
    const main = mainThreadMs();
    const io = syscalls();
    await work();
    const used = process.cpuUsage(cpu);
    return {
      name,
      broadcasts,
      userMs: used.user / 1000,
      systemMs: used.system / 1000,
      mainMs: mainThreadMs() - main,
      reads: syscalls().reads - io.reads,
      writes: syscalls().writes - io.writes,
      rssMb: process.memoryUsage.rss() / 2 ** 20,
    };
  };
  const measure = (name: string, broadcasts: number, gapMs: number): Promise<Phase> =>
    measureWork(name, broadcasts, async () => {
      const startUs = monoUs();
      for (let i = 0; i < broadcasts; i++) {
        await broadcast();
        if (gapMs > 0) {
          const due = startUs + (i + 1) * gapMs * 1000;
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, (due - monoUs()) / 1000)));
        }
      }
    });
  const phases: Phase[] = [];
  if (WARM_UP) {
    // Counted as one call, so its row reads as the warm-up's whole cost.
    const warmUp = await measureWork('warmUp()', 1 / CALLS_PER_BROADCAST, async () => {
      await target.warmUp();
      await new Promise((resolve) => setTimeout(resolve, 1000)); // V8's background compiles finish
    });
    phases.push(warmUp);
  }
  phases.push(await measure('first', 1, 1000));
  await measure('warm-up', WARMUP, 1000 / RATE);
  phases.push(await measure(`paced ${RATE}/s`, PACED, 1000 / RATE), await measure('back to back', BURST, 0));
  await target.close();
  process.send!(phases, () => process.exit(0));
}

/** The main thread's CPU (user + system), ms, from /proc: the rest of the process's is V8's helper threads. */
function mainThreadMs(): number {
  return (sampleThread(process.pid, process.pid)?.cpuSeconds ?? 0) * 1000;
}

function syscalls(): { reads: number; writes: number } {
  const io = readFileSync('/proc/self/io', 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}: (\\d+)`).exec(io)![1]);
  return { reads: field('syscr'), writes: field('syscw') };
}
