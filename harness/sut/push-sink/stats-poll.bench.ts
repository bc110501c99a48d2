/**
 * What one `GET /__sink/stats` costs the sink once it holds a flood's receipts: `--receipts` FCM sends with
 * e2e latencies spread over a minute (as a max-rate flood's queueing gives), then `--polls` stats calls, one at
 * a time, with each process's CPU time read from /proc around them. Prints one JSON line: CPU ms per poll of the
 * primary (gathers the workers' snapshots, decodes and adds their histograms, summarises and encodes the merged
 * one) and of the workers (snapshot: encode the histogram; IPC; answer the HTTP call). A push flood polls once a
 * second (engine/push/push-flood.ts, its per-second e2e histogram), so ms per poll ÷ pushes per second is the
 * poll's share of the sink's CPU per push.
 *
 *   node --import tsx harness/sut/push-sink/stats-poll.bench.ts [--receipts 300000 --polls 40 --workers 1]
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseSinkConfig } from './config.ts';
import { startSink } from './primary.ts';
import { SinkClient } from './test-client.ts';

const { values } = parseArgs({
  options: {
    receipts: { type: 'string', default: '300000' },
    polls: { type: 'string', default: '40' },
    workers: { type: 'string', default: '1' },
  },
});
const receipts = Number(values.receipts);
const polls = Number(values.polls);
const INFLIGHT = 200;

/** CPU seconds (user + system) of one process, from /proc (USER_HZ = 100). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const sink = await startSink(
  parseSinkConfig({
    workers: Number(values.workers),
    receipts: false,
    fcm: { quota: { perMinute: 1_000_000_000 }, perDevice: null },
  }),
);
try {
  const client = new SinkClient(sink.endpoints);
  const access = await client.accessToken();
  const { tokens } = await client.control<{ tokens: string[] }>('POST', '/fcm/tokens', { count: 1000 });
  const { nowUs } = await client.control<{ nowUs: number }>('GET', '/clock');
  // e2e latencies: most of them seconds, a tail to a minute (a deterministic spread, not a draw).
  let next = 0;
  const lane = async () => {
    while (next < receipts) {
      const i = next++;
      const f = ((i * 7919) % receipts) / receipts;
      const e2eUs = Math.floor(f * f * 60e6) + 1000;
      const reply = await client.send(access, {
        token: tokens[i % tokens.length],
        data: { bench_push_id: `p-${i}`, bench_t: String(nowUs - e2eUs) },
      });
      if (reply.status !== 200) throw new Error(`send: ${reply.status} ${reply.body}`);
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, lane));

  const pids = Object.values(cluster.workers ?? {}).map((w) => w!.process.pid!);
  const cpu = () => ({ primary: cpuSeconds(process.pid), workers: pids.reduce((s, pid) => s + cpuSeconds(pid), 0) });
  for (let i = 0; i < 5; i++) await client.control('GET', '/stats'); // warm-up: JIT
  // The bench's own HTTP client shares the primary's process: measure it on /__sink/clock (answered by a worker
  // at once) and subtract it.
  const timed = async (path: string) => {
    const before = cpu();
    for (let i = 0; i < polls; i++) await client.control('GET', path);
    const after = cpu();
    return { primary: after.primary - before.primary, workers: after.workers - before.workers };
  };
  const clockCalls = await timed('/clock');
  const statsCalls = await timed('/stats');
  const stats = await client.control<{ receipts: number; latency: { count: number; histogram?: string } }>(
    'GET',
    '/stats',
  );
  delete stats.latency.histogram;
  client.close();
  const msPerPoll = (s: number) => Math.round((s * 1000 * 100) / polls) / 100;
  console.log(
    JSON.stringify({
      args: values,
      receipts: stats.receipts,
      latency: stats.latency,
      cpuMsPerPoll: {
        primary: msPerPoll(statsCalls.primary - clockCalls.primary),
        workers: msPerPoll(statsCalls.workers - clockCalls.workers),
      },
      clockCallCpuMs: { primary: msPerPoll(clockCalls.primary), workers: msPerPoll(clockCalls.workers) },
    }),
  );
} finally {
  await sink.stop();
}
