/**
 * The relay's HTTP/2 client per request: CPU of the sending process per FCM-shaped POST against a bare
 * node:http2 TLS server in another process, three shapes side by side, each run in a fresh process, alternating:
 *
 *   naive       node:http2 the plain way: headers spread per request, a timer per stream, the body decoded to a
 *               string whatever the status (H2Sessions' shape before issue 17's third step)
 *   relay       H2Sessions as it is, on Node's own AsyncResource.bind
 *   relay+bind  the same after installLeanAsyncResourceBind() (what the relay's worker processes run)
 *
 *   node --import tsx harness/sut/push-relay/h2-client.bench.ts [--requests 60000 --rounds 3 --inflight 200]
 *
 * Prints one JSON line: client CPU µs per request, median over the rounds, and every round. Needs `openssl`
 * (a throwaway self-signed certificate for 127.0.0.1).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { H2Sessions, installLeanAsyncResourceBind } from './h2-sessions.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '60000' },
    rounds: { type: 'string', default: '3' },
    inflight: { type: 'string', default: '200' },
    variant: { type: 'string' },
    port: { type: 'string' },
    ca: { type: 'string' },
  },
});
const requests = Number(values.requests);
const inflight = Number(values.inflight);
const VARIANTS = ['naive', 'relay', 'relay+bind'] as const;
type Variant = (typeof VARIANTS)[number];

const SERVER = `
import http2 from 'node:http2';
const server = http2.createSecureServer({ key: process.env.KEY, cert: process.env.CERT,
  settings: { maxConcurrentStreams: 100 } });
const body = '{\\n  "name": "projects/p/messages/0:1234567890%abc"\\n}\\n';
server.on('stream', (stream) => {
  stream.on('error', () => {});
  stream.on('data', () => {});
  stream.on('end', () => {
    if (stream.destroyed) return;
    stream.respond({ ':status': 200, 'content-type': 'application/json; charset=UTF-8' });
    stream.end(body);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

async function client(variant: Variant, origin: string, ca: Buffer): Promise<number> {
  if (variant === 'relay+bind') installLeanAsyncResourceBind();
  const requestPath = '/v1/projects/p/messages:send';
  const headers = { authorization: `Bearer ya29.${'z'.repeat(100)}`, 'content-type': 'application/json' };
  const body = (i: number) =>
    JSON.stringify({ message: { token: `t${i % 1000}`.padEnd(152, 'x'), data: { p: 'x'.repeat(256) } } });
  let send: (i: number) => Promise<boolean>;
  let close: () => void;
  if (variant === 'naive') {
    const sessions = [http2.connect(origin, { ca }), http2.connect(origin, { ca })];
    send = (i) =>
      new Promise((resolve, reject) => {
        const stream = sessions[i % 2]!.request({ ':method': 'POST', ':path': requestPath, ...headers });
        let status = 0;
        let text = '';
        stream.setEncoding('utf8');
        stream.setTimeout(15_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
        stream.on('response', (h) => {
          status = Number(h[':status']);
        });
        stream.on('data', (chunk: string) => {
          text += chunk;
        });
        stream.on('end', () => resolve(status === 200 && text.length > 0));
        stream.on('error', reject);
        stream.end(body(i));
      });
    close = () => {
      for (const s of sessions) s.close();
    };
  } else {
    const sessions = new H2Sessions(origin, 2, ca, 15_000);
    const full = { ':method': 'POST', ':path': requestPath, ...headers };
    send = async (i) => (await sessions.request(full, body(i))).status === 200;
    close = () => sessions.close();
  }
  const run = async (count: number) => {
    let next = 0;
    let bad = 0;
    await Promise.all(
      Array.from({ length: inflight }, async () => {
        while (next < count) if (!(await send(next++))) bad++;
      }),
    );
    if (bad) throw new Error(`${bad} requests failed`);
  };
  await run(5000); // warm-up: JIT, sessions
  const before = process.cpuUsage();
  await run(requests);
  const used = process.cpuUsage(before);
  close();
  return (used.user + used.system) / requests;
}

if (values.variant) {
  const cpuUs = await client(values.variant as Variant, `https://127.0.0.1:${values.port}`, readFileSync(values.ca!));
  process.stdout.write(`${JSON.stringify({ cpuUsPerRequest: cpuUs })}\n`);
} else {
  const dir = mkdtempSync(path.join(tmpdir(), 'h2-client-bench-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const server = spawn(process.execPath, ['--input-type=module', '-e', SERVER], {
    env: { ...process.env, KEY: readFileSync(key, 'utf8'), CERT: readFileSync(cert, 'utf8') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<string>((resolve) => server.stdout!.once('data', (d) => resolve(String(d).trim())));
    const perRequest: Record<Variant, number[]> = { naive: [], relay: [], 'relay+bind': [] };
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const variant of VARIANTS) {
        const run = spawnSync(
          process.execPath,
          [
            ...process.execArgv,
            fileURLToPath(import.meta.url),
            ...['--variant', variant, '--port', port, '--ca', cert, '--requests', String(requests)],
            ...['--inflight', String(inflight)],
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 },
        );
        if (run.status !== 0) throw new Error(`${variant}: exit ${run.status ?? run.signal}`);
        perRequest[variant].push((JSON.parse(run.stdout) as { cpuUsPerRequest: number }).cpuUsPerRequest);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const round1 = (x: number) => Math.round(x * 10) / 10;
    console.log(
      JSON.stringify({
        args: { requests, rounds: Number(values.rounds), inflight },
        clientCpuUsPerRequest: Object.fromEntries(VARIANTS.map((v) => [v, round1(median(perRequest[v]))])),
        rounds: Object.fromEntries(VARIANTS.map((v) => [v, perRequest[v].map(round1)])),
      }),
    );
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
