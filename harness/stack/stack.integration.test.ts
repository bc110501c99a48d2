/**
 * The local stack for real: start it, publish through Centrifugo's HTTP API `broadcast`, receive with a
 * raw WebSocket client speaking Centrifugo's JSON protocol (HS256 connection JWT, subscription JWT for
 * `personal:<id>`, one `{}` per server ping), stop it, and prove nothing is left behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import pg from 'pg';
import WebSocket from 'ws';
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
