/**
 * The local stack for real: start it, publish through Centrifugo's HTTP API `broadcast`, receive with a
 * raw WebSocket client speaking Centrifugo's JSON protocol (HS256 connection JWT, subscription JWT for
 * `personal:<id>`, one `{}` per server ping), stop it, and prove nothing is left behind.
 */
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mock, test } from 'node:test';
import { SignJWT } from 'jose';
import pg from 'pg';
import WebSocket from 'ws';
import { isUserError } from '../common/errors.ts';
import { ExitCode } from '../common/exit-codes.ts';
import type { StackEndpoints } from '../common/stack-types.ts';
import { writeStackFile } from './stack-file.ts';
import { parseStackSpec, startStack } from './start-stack.ts';
import { withStack } from './testing.ts';

const sign = (claims: Record<string, unknown>, secret: string) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));

/** A deliberately small client: enough protocol to prove the stack works; the engine has the real one. */
async function subscribePersonal(wsUrl: string, secret: string, userId: string) {
  const socket = new WebSocket(wsUrl);
  const frames: Record<string, unknown>[] = [];
  let pingsAnswered = 0;
  const waiters: { match: (f: Record<string, unknown>) => boolean; resolve: (f: Record<string, unknown>) => void }[] =
    [];
  socket.on('message', (data) => {
    for (const line of data.toString().split('\n')) {
      if (!line.trim()) continue;
      const frame = JSON.parse(line) as Record<string, unknown>;
      if (Object.keys(frame).length === 0) {
        socket.send('{}'); // exactly one pong per server ping
        pingsAnswered++;
        continue;
      }
      frames.push(frame);
      for (const w of [...waiters]) {
        if (w.match(frame)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    }
  });
  const next = (match: (f: Record<string, unknown>) => boolean, timeoutMs = 10_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const found = frames.find(match);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const channel = `personal:${userId}`;
  const connectToken = await sign({ sub: userId }, secret);
  const subToken = await sign({ sub: userId, channel }, secret);
  // connect + subscribe in one frame: commands of one connection run in order.
  socket.send(
    `${JSON.stringify({ id: 1, connect: { token: connectToken, name: 'bench-test' } })}\n` +
      JSON.stringify({ id: 2, subscribe: { channel, token: subToken } }),
  );
  const connected = await next((f) => f.id === 1);
  const subscribed = await next((f) => f.id === 2);
  return { socket, connected, subscribed, next, pings: () => pingsAnswered };
}

function portOpen(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect({ host: hostname, port: Number(port) });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function alive(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'); // a zombie is gone, just not reaped
    } catch {
      return false;
    }
  });
}

test('local stack: API broadcast reaches a raw WebSocket subscriber, pings answered, nothing left after', async () => {
  let runId = '';
  let pids: number[] = [];
  const urls: string[] = [];
  await withStack(
    {
      engine: 'redis',
      nodes: 2,
      services: ['postgres', 'nats', 'clickhouse'],
      centrifugo: { pingInterval: '1s', pongTimeout: '500ms' },
    },
    async (stack) => {
      runId = stack.runId;
      pids = Object.values(stack.processIds());
      assert.ok(
        pids.length >= 6,
        `centrifugo ×2, postgres, redis, nats, clickhouse: ${JSON.stringify(stack.processIds())}`,
      );
      const { centrifugo } = stack.endpoints;
      urls.push(...centrifugo.nodes.map((n) => n.httpUrl), stack.endpoints.postgres!.url, stack.endpoints.redis!.url);
      assert.equal(centrifugo.nodes.length, 2);
      assert.equal(stack.versions.centrifugo, '6.9.1');

      // One subscriber on each node: the Redis broker must carry the broadcast across nodes.
      const a = await subscribePersonal(centrifugo.nodes[0]!.wsUrl, stack.secrets.centrifugoHmacSecret, '42');
      const b = await subscribePersonal(centrifugo.nodes[1]!.wsUrl, stack.secrets.centrifugoHmacSecret, '43');
      assert.match((a.connected.connect as { version: string }).version, /^6\.9\.1/);
      assert.equal((a.subscribed.subscribe as { recoverable?: boolean }).recoverable, true, 'personal has recovery');

      // Several ping intervals pass: a client that did not answer would be closed with 3012.
      await new Promise((r) => setTimeout(r, 3500));
      assert.ok(a.pings() >= 2, `answered ${a.pings()} pings`);
      assert.equal(a.socket.readyState, WebSocket.OPEN);

      const response = await fetch(`${centrifugo.nodes[0]!.apiUrl}/broadcast`, {
        method: 'POST',
        headers: { 'X-API-Key': stack.secrets.centrifugoApiKey, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          channels: ['personal:42', 'personal:43'],
          data: { bench: { s: 'test', q: 1, t: 0 } },
          idempotency_key: 'test-1',
        }),
      });
      assert.equal(response.status, 200);
      const reply = (await response.json()) as { result: { responses: { error?: unknown }[] } };
      assert.ok(
        reply.result.responses.every((r) => !r.error),
        JSON.stringify(reply),
      );
      for (const client of [a, b]) {
        const push = (await client.next((f) => 'push' in f)).push as { pub: { data: { bench: { q: number } } } };
        assert.equal(push.pub.data.bench.q, 1);
        client.socket.close();
      }

      // A wrong API key is refused: the per-run key is really in force.
      const refused = await fetch(`${centrifugo.nodes[0]!.apiUrl}/info`, {
        method: 'POST',
        body: '{}',
        headers: { 'X-API-Key': 'wrong' },
      });
      assert.equal(refused.status, 401);

      const client = new pg.Client({ connectionString: stack.endpoints.postgres!.url });
      await client.connect();
      const { rows } = await client.query<{ wal_level: string }>('SHOW wal_level');
      await client.end();
      assert.equal(rows[0]!.wal_level, 'logical');

      const ch = await fetch(`${stack.endpoints.clickhouse!.url}/?query=SELECT%201`);
      assert.equal((await ch.text()).trim(), '1');
      const nats = await fetch(`${stack.endpoints.nats!.url.replace('nats:', 'http:')}`).catch(() => undefined);
      assert.equal(nats, undefined, 'NATS speaks its own protocol, not HTTP');
    },
  );
  assert.deepEqual(alive(pids), [], 'no process of the run is left');
  assert.equal(
    readdirSync(os.tmpdir()).filter((d) => d.startsWith(`centrifugo-bench-${runId}-`)).length,
    0,
    'temporary folder removed',
  );
  for (const url of urls) assert.equal(await portOpen(url), false, `${url} released`);
});

test('a service that dies on its own is reported through stack.crashed', async () => {
  await withStack({ engine: 'memory', services: ['redis'] }, async (stack) => {
    await stack.faults.pauseService('redis');
    await stack.faults.resumeService('redis');
    // Killing a Centrifugo node through faults is expected, not a crash.
    await stack.faults.killCentrifugoNode(0);
    const notCrashed = await Promise.race([stack.crashed, new Promise((r) => setTimeout(() => r('quiet'), 300))]);
    assert.equal(notCrashed, 'quiet');
    await stack.faults.startCentrifugoNode(0);
    const health = await fetch(`${stack.endpoints.centrifugo.nodes[0]!.httpUrl}/health`);
    assert.equal(health.status, 200);
    // Now a real crash: SIGKILL from outside the harness.
    process.kill(stack.processIds().redis!, 'SIGKILL');
    const crash = await stack.crashed;
    assert.equal(crash.service, 'redis');
    assert.match(crash.message, /exited unexpectedly/);
  });
  assert.ok(existsSync(os.tmpdir()));
});

/** Every URL field a stack file can have, all on loopback: each test below moves some of them elsewhere. */
function loopbackEndpoints(): StackEndpoints {
  return {
    centrifugo: {
      engine: 'redis',
      nodes: [
        {
          name: 'node-1',
          httpUrl: 'http://127.0.0.1:18000',
          wsUrl: 'ws://127.0.0.1:18000/connection/websocket',
          apiUrl: 'http://127.0.0.1:18000/api',
        },
      ],
    },
    postgres: { url: 'postgresql://bench@127.0.0.1:15432/bench' },
    redis: { url: 'redis://127.0.0.1:16379' },
    nats: { url: 'nats://127.0.0.1:14222' },
    clickhouse: { url: 'http://127.0.0.1:18123' },
    chatApp: { url: 'http://127.0.0.1:18100' },
    pushRelay: { url: 'http://127.0.0.1:18200' },
    pushSink: {
      url: 'https://127.0.0.1:18300',
      fcmUrl: 'https://127.0.0.1:18300/v1',
      webPushUrl: 'https://127.0.0.1:18300/wp',
      tokenUrl: 'https://127.0.0.1:18300/token',
      controlUrl: 'https://127.0.0.1:18301',
      caFile: '/nonexistent/ca.pem',
    },
  };
}

/**
 * Starts provider external on a stack file with these endpoints, with every outgoing connection and DNS
 * lookup of this process watched: the refusal must come before anything is sent anywhere.
 */
async function startExternal(endpoints: StackEndpoints, allowRemoteTargets = false) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cb-external-'));
  const connects = mock.method(net.Socket.prototype, 'connect');
  const lookups = mock.method(dns, 'lookup');
  try {
    const stackFile = writeStackFile(
      dir,
      { schemaVersion: 1, name: 'staging', runId: 'r', provider: 'external', endpoints, versions: {} },
      { centrifugoHmacSecret: 'hmac', centrifugoApiKey: 'api-key' },
    );
    const spec = parseStackSpec({ provider: 'external', stackFile, allowRemoteTargets });
    const stack = await startStack(spec, { runId: 'r', logsDir: '' }).then(
      (started) => ({ started, error: undefined }),
      (error: unknown) => ({ started: undefined, error }),
    );
    assert.equal(connects.mock.callCount(), 0, 'no connection attempted');
    assert.equal(lookups.mock.callCount(), 0, 'no host name looked up');
    return stack;
  } finally {
    connects.mock.restore();
    lookups.mock.restore();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function refusedExternal(endpoints: StackEndpoints): Promise<string> {
  const { error } = await startExternal(endpoints);
  assert.ok(isUserError(error), `refused with a UserError, got ${String(error)}`);
  assert.equal(error.exitCode, ExitCode.badInput);
  return error.message;
}

test('external stack: a non-loopback apiUrl or chat app URL is refused with exit 2 before anything is sent', async () => {
  const endpoints = loopbackEndpoints();
  endpoints.centrifugo.nodes[0]!.apiUrl = 'http://0.0.0.0:18000/api';
  endpoints.chatApp = { url: 'https://chat.example.com' };
  const message = await refusedExternal(endpoints);
  assert.match(message, /endpoints\.centrifugo\.nodes\[0\]\.apiUrl → 0\.0\.0\.0/);
  assert.match(message, /endpoints\.chatApp\.url → chat\.example\.com/);
  assert.match(message, /stack\.allowRemoteTargets: true/);
  assert.doesNotMatch(message, /--allow-remote(?![-\w])/, 'names no option that does not exist');
});

test('external stack: every URL of the stack file is held to the loopback rule', async () => {
  const { started } = await startExternal(loopbackEndpoints());
  assert.ok(started, 'all on loopback: the stack is used');
  const fields: [string, (e: StackEndpoints) => void][] = [
    ['centrifugo.nodes[0].httpUrl', (e) => (e.centrifugo.nodes[0]!.httpUrl = 'http://10.0.0.1:8000')],
    ['centrifugo.nodes[0].wsUrl', (e) => (e.centrifugo.nodes[0]!.wsUrl = 'ws://10.0.0.1:8000/connection/websocket')],
    ['centrifugo.nodes[0].apiUrl', (e) => (e.centrifugo.nodes[0]!.apiUrl = 'http://10.0.0.1:8000/api')],
    ['postgres.url', (e) => (e.postgres = { url: 'postgresql://bench@10.0.0.1:5432/bench' })],
    ['redis.url', (e) => (e.redis = { url: 'redis://10.0.0.1:6379' })],
    ['nats.url', (e) => (e.nats = { url: 'nats://10.0.0.1:4222' })],
    ['clickhouse.url', (e) => (e.clickhouse = { url: 'http://10.0.0.1:8123' })],
    ['chatApp.url', (e) => (e.chatApp = { url: 'http://10.0.0.1:8100' })],
    ['pushRelay.url', (e) => (e.pushRelay = { url: 'http://10.0.0.1:8200' })],
    ['pushSink.url', (e) => (e.pushSink!.url = 'https://10.0.0.1:8300')],
    ['pushSink.fcmUrl', (e) => (e.pushSink!.fcmUrl = 'https://10.0.0.1:8300/v1')],
    ['pushSink.webPushUrl', (e) => (e.pushSink!.webPushUrl = 'https://10.0.0.1:8300/wp')],
    ['pushSink.tokenUrl', (e) => (e.pushSink!.tokenUrl = 'https://10.0.0.1:8300/token')],
    ['pushSink.controlUrl', (e) => (e.pushSink!.controlUrl = 'https://10.0.0.1:8301')],
  ];
  for (const [field, moveAway] of fields) {
    const endpoints = loopbackEndpoints();
    moveAway(endpoints);
    const message = await refusedExternal(endpoints);
    assert.ok(message.includes(`endpoints.${field} → 10.0.0.1`), `${field} named: ${message}`);
  }
});

test('external stack: allowRemoteTargets lets non-loopback URLs through (nothing is sent while starting)', async () => {
  const endpoints = loopbackEndpoints();
  endpoints.centrifugo.nodes[0]!.apiUrl = 'http://10.0.0.1:8000/api';
  const { started, error } = await startExternal(endpoints, true);
  assert.equal(error, undefined);
  assert.ok(started);
  assert.equal(started.endpoints.centrifugo.nodes[0]!.apiUrl, 'http://10.0.0.1:8000/api');
  await started.down();
});
