/**
 * Throughput of the sink on loopback with h2load (Debian package nghttp2-client): FCM sends over HTTP/2 + TLS
 * and Web Push posts, answered by `--workers` worker processes. Not a test: run it by hand on a quiet machine.
 *
 *   taskset -c 0 node --import tsx harness/sut/push-sink/bench-throughput.ts --workers 1 --seconds 20 --h2load-cpus 1
 *
 * The sink runs on the CPUs this process may use (taskset), h2load on `--h2load-cpus`. Per-device limits
 * and the project quota are switched off: a single token is hammered, and the point is the server's ceiling.
 * `--baseline` first measures a trivial node:http2 TLS server (parse the JSON body, answer a constant) under
 * the same pinning: the ceiling of Node itself on this machine right now, to compare the sink with.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import webpush from 'web-push';
import { issueCertificates } from './certificates.ts';
import { parseSinkConfig } from './config.ts';
import { startSink } from './primary.ts';
import type { PushSubscriptionJson } from './subscriptions.ts';
import { SinkClient } from './test-client.ts';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '15' },
    clients: { type: 'string', default: '4' },
    streams: { type: 'string', default: '100' },
    'h2load-cpus': { type: 'string', default: '1' },
    decrypt: { type: 'string', default: '0' },
    baseline: { type: 'boolean', default: false },
  },
});

/** The smallest HTTP/2 TLS server that does what a sink must (read and parse the body, answer JSON). */
const BASELINE_SERVER = `
import http2 from 'node:http2';
const server = http2.createSecureServer({ key: process.env.KEY, cert: process.env.CERT, allowHTTP1: true,
  settings: { maxConcurrentStreams: 100 } });
const body = '{\\n  "name": "projects/p/messages/0:1%1"\\n}\\n';
server.on('request', (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString());
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;
const seconds = Math.min(60, Number(values.seconds));
const dir = mkdtempSync(path.join(os.tmpdir(), 'sink-bench-'));
const sink = await startSink(
  parseSinkConfig({
    workers: Number(values.workers),
    receipts: true,
    fcm: { quota: { perMinute: 1_000_000_000 }, perDevice: null },
    webPush: { decryptSampleRate: Number(values.decrypt) },
  }),
);
const client = new SinkClient(sink.endpoints);

/** Asynchronous on purpose: this process is the cluster primary, which accepts the connections. */
async function h2load(label: string, url: string, bodyFile: string, headers: string[]): Promise<void> {
  const args = [
    '-c',
    String(values.clients),
    '-m',
    String(values.streams),
    '-D',
    String(seconds),
    '-d',
    bodyFile,
    ...headers.flatMap((h) => ['-H', h]),
    url,
  ];
  const child = spawn('taskset', ['-c', String(values['h2load-cpus']), 'h2load', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  await new Promise((resolve) => child.once('exit', resolve));
  const summary = stdout
    .split('\n')
    .filter((l) => /finished in|requests:|status codes:|time for request:/.test(l))
    .join('\n  ');
  process.stdout.write(`${label}\n  h2load ${args.join(' ')}\n  ${summary}\n`);
}

try {
  if (values.baseline) {
    const tls = await issueCertificates();
    const child = spawn(process.execPath, ['--input-type=module', '-e', BASELINE_SERVER], {
      env: { ...process.env, KEY: tls.serverKeyPem, CERT: tls.serverCertPem },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d).trim())));
    const body = path.join(dir, 'baseline.json');
    writeFileSync(body, JSON.stringify({ message: { token: 'x'.repeat(163), data: { payload: 'x'.repeat(200) } } }));
    await h2load('Baseline: trivial node:http2 TLS server, same pinning', `https://127.0.0.1:${port}/`, body, [
      'content-type: application/json',
    ]);
    child.kill();
  }
  const access = await client.accessToken();
  const [token] = (await client.control<{ tokens: string[] }>('POST', '/fcm/tokens', { count: 1 })).tokens;
  const fcmBody = path.join(dir, 'fcm.json');
  writeFileSync(
    fcmBody,
    JSON.stringify({ message: { token, data: { bench_push_id: 'bench', bench_t: '1', payload: 'x'.repeat(200) } } }),
  );
  await h2load(
    `FCM messages:send, HTTP/2 over TLS, ${sink.endpoints.workers} worker(s)`,
    `${sink.endpoints.fcmUrl}/projects/${sink.endpoints.projectId}/messages:send`,
    fcmBody,
    [`authorization: Bearer ${access}`, 'content-type: application/json'],
  );

  const [sub] = (
    await client.control<{ subscriptions: PushSubscriptionJson[] }>('POST', '/webpush/subscriptions', { count: 1 })
  ).subscriptions;
  const keys = webpush.generateVAPIDKeys();
  const details = webpush.generateRequestDetails(sub as PushSubscriptionJson, 'x'.repeat(200), {
    vapidDetails: { subject: 'mailto:bench@example.com', publicKey: keys.publicKey, privateKey: keys.privateKey },
    TTL: 60,
  });
  const wpBody = path.join(dir, 'webpush.bin');
  writeFileSync(wpBody, details.body);
  await h2load(
    `Web Push POST, HTTP/2 over TLS, VAPID cached, decrypt sample rate ${values.decrypt}, ${sink.endpoints.workers} worker(s)`,
    (sub as PushSubscriptionJson).endpoint,
    wpBody,
    Object.entries(details.headers)
      .filter(([k]) => k.toLowerCase() !== 'content-length')
      .map(([k, v]) => `${k.toLowerCase()}: ${v}`),
  );
  const stats = await client.control<{ requests: unknown; receipts: number }>('GET', '/stats');
  process.stdout.write(`sink counted ${JSON.stringify(stats.requests)}; receipts ${stats.receipts}\n`);
} finally {
  client.close();
  await sink.stop();
}
