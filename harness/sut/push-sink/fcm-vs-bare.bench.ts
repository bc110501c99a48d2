/**
 * The sink's FCM `messages:send` against a bare node:http2 TLS server, side by side in one run: the same
 * client (raw node:http2, like the relay: `--sessions` sessions, `--inflight` requests in flight, the same
 * requests — bearer token, content type, 256-byte data payloads) sends `--requests` requests to each,
 * alternating bare, sink, bare, sink … for `--rounds` rounds; each server's CPU time is read from /proc around its round. Prints one JSON line: CPU µs per request
 * of each (median over the rounds) and their ratio (bare ÷ sink = the sink's throughput per core relative to
 * the bare server's; issue 17's goal ≥ 0.8).
 *
 *   node --import tsx harness/sut/push-sink/fcm-vs-bare.bench.ts [--requests 40000 --rounds 5]
 *
 * The bare server does the least a sink must: one stream handler, read the body, JSON.parse it, answer FCM's
 * 200 body. The sink (1 worker, receipts on, per-device limits and the project quota off so one token can be
 * hammered) does everything it does in a flood: bearer check, project, quota lease, body validation, token
 * HMAC verdict (memoised), receipt, stats. Its primary's CPU is not counted (a lease every ~250 requests);
 * neither is the client's. Without h2load on this box the client is Node itself, sharing the cores.
 */
import { spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { parseArgs } from 'node:util';
import { issueCertificates } from './certificates.ts';
import { parseSinkConfig } from './config.ts';
import { startSink } from './primary.ts';
import { SinkClient } from './test-client.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '40000' },
    rounds: { type: 'string', default: '5' },
    sessions: { type: 'string', default: '2' },
    inflight: { type: 'string', default: '200' },
  },
});
const requests = Number(values.requests);
const rounds = Number(values.rounds);
const sessionsCount = Number(values.sessions);
const inflight = Number(values.inflight);

const BARE_SERVER = `
import http2 from 'node:http2';
const server = http2.createSecureServer({ key: process.env.KEY, cert: process.env.CERT,
  settings: { maxConcurrentStreams: 1000 } });
server.on('stream', (stream, headers) => {
  const chunks = [];
  stream.on('data', (c) => chunks.push(c));
  stream.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString());
    stream.respond({ ':status': 200, 'content-type': 'application/json; charset=UTF-8' });
    stream.end('{\\n  "name": "projects/p/messages/0:1%1"\\n}\\n');
  });
  stream.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

/** CPU seconds (user + system) of one process, from /proc (USER_HZ = 100). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Sends `count` FCM sends to `origin` with `inflight` in flight; rejects on any non-200. */
async function drive(origin: string, path: string, ca: Buffer, headers: Record<string, string>, bodies: string[]) {
  const sessions = Array.from({ length: sessionsCount }, () => http2.connect(origin, { ca }));
  let next = 0;
  const lane = async (lane: number) => {
    const session = sessions[lane % sessions.length]!;
    while (next < requests) {
      const body = bodies[next++ % bodies.length]!;
      await new Promise<void>((resolve, reject) => {
        const stream = session.request({ ':method': 'POST', ':path': path, ...headers });
        stream.on('response', (h) => {
          if (h[':status'] !== 200) reject(new Error(`status ${h[':status']}`));
        });
        stream.on('data', () => {});
        stream.on('end', resolve);
        stream.on('error', reject);
        stream.end(body);
      });
    }
  };
  await Promise.all(Array.from({ length: inflight }, (_, i) => lane(i)));
  for (const s of sessions) s.close();
}

const tls = await issueCertificates();
const bare = spawn(process.execPath, ['--input-type=module', '-e', BARE_SERVER], {
  env: { ...process.env, KEY: tls.serverKeyPem, CERT: tls.serverCertPem },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const barePort = await new Promise<string>((resolve) => bare.stdout!.once('data', (d) => resolve(String(d).trim())));
const sink = await startSink(
  parseSinkConfig({
    workers: 1,
    receipts: true,
    fcm: { quota: { perMinute: 1_000_000_000 }, perDevice: null },
  }),
);
try {
  const client = new SinkClient(sink.endpoints);
  const access = await client.accessToken();
  const { tokens } = await client.control<{ tokens: string[] }>('POST', '/fcm/tokens', { count: 1000 });
  client.close();
  const bodies = tokens.map((token, i) =>
    JSON.stringify({
      message: { token, data: { bench_push_id: `b-${i}`, bench_t: '1', payload: 'x'.repeat(256) } },
    }),
  );
  const sinkCa = readFileSync(sink.endpoints.caFile);
  const headers = { authorization: `Bearer ${access}`, 'content-type': 'application/json' };
  const sinkPid = Object.values(cluster.workers ?? {})[0]!.process.pid!;
  const targets = {
    bare: {
      pid: bare.pid!,
      // The same request as the sink gets, headers included (the bare server ignores them, but parses them).
      run: () =>
        drive(
          `https://127.0.0.1:${barePort}`,
          '/v1/projects/p/messages:send',
          Buffer.from(tls.caCertPem),
          headers,
          bodies,
        ),
    },
    sink: {
      pid: sinkPid,
      run: () =>
        drive(
          new URL(sink.endpoints.fcmUrl).origin,
          `${new URL(sink.endpoints.fcmUrl).pathname}/projects/${sink.endpoints.projectId}/messages:send`,
          sinkCa,
          headers,
          bodies,
        ),
    },
  };
  const perRequestUs: Record<'bare' | 'sink', number[]> = { bare: [], sink: [] };
  const reqPerS: Record<'bare' | 'sink', number[]> = { bare: [], sink: [] };
  for (let round = -1; round < rounds; round++) {
    for (const name of ['bare', 'sink'] as const) {
      const target = targets[name];
      const before = cpuSeconds(target.pid);
      const started = performance.now();
      await target.run();
      const wallS = (performance.now() - started) / 1000;
      if (round < 0) continue; // warm-up: JIT, sessions, the sink's token verdicts
      perRequestUs[name].push(((cpuSeconds(target.pid) - before) * 1e6) / requests);
      reqPerS[name].push(requests / wallS);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const bareUs = median(perRequestUs.bare);
  const sinkUs = median(perRequestUs.sink);
  console.log(
    JSON.stringify({
      args: values,
      cpuUsPerRequest: { bare: Math.round(bareUs * 10) / 10, sink: Math.round(sinkUs * 10) / 10 },
      rounds: { bare: perRequestUs.bare.map(Math.round), sink: perRequestUs.sink.map(Math.round) },
      wallRequestsPerS: { bare: Math.round(median(reqPerS.bare)), sink: Math.round(median(reqPerS.sink)) },
      sinkPerCoreVsBare: Math.round((bareUs / sinkUs) * 100) / 100,
    }),
  );
} finally {
  bare.kill();
  await sink.stop();
}
