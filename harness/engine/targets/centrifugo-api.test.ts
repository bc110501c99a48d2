import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { CentrifugoApi } from './centrifugo-api.ts';
import { CentrifugoBroadcastTarget } from './centrifugo-broadcast.ts';

/** A broadcast reply per channel: an offset, or an error for the channels named in `failing`. */
async function withApi(failing: Set<string>, fn: (url: string) => Promise<void>): Promise<void> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const { channels } = JSON.parse(body) as { channels: string[] };
      const responses = channels.map((c) =>
        failing.has(c)
          ? { error: { code: 102, message: 'unknown channel' } }
          : { result: { offset: 1, epoch: 'ab"e' } },
      );
      res.end(JSON.stringify({ result: { responses } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api`);
  } finally {
    server.close();
  }
}

function target(url: string, channels: string[]): CentrifugoBroadcastTarget {
  return new CentrifugoBroadcastTarget({
    centrifugo: { apiUrls: [url], apiKey: 'k' },
    streams: { s: channels },
    options: { channelsPerCall: 2 },
    runNonce: 'n',
    maxConcurrency: 1,
    requestTimeoutMs: 5000,
  });
}

test('broadcast: a reply without errors is accepted unparsed; per-channel errors still name their recipients', async () => {
  const channels = ['personal:1', 'personal:2', 'personal:3'];
  const message = { marker: { s: 's', q: 1, t: 0 }, padding: '' };
  await withApi(new Set(), async (url) => {
    const t = target(url, channels);
    assert.deepEqual(await t.send(message), { ok: true });
    await t.close();
  });
  await withApi(new Set(['personal:3']), async (url) => {
    const t = target(url, channels);
    assert.deepEqual(await t.send(message), {
      ok: true,
      failedRecipients: ['personal:3'],
      errors: ['centrifugo_102'],
    });
    await t.close();
  });
});

test('warm-up: one read-only info call per connection a message uses, on every node; a failing node is ignored', async () => {
  const seen: Array<{ path: string; key: string | undefined; port: number }> = [];
  const open = new Set<string>();
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', key: req.headers['x-api-key'] as string, port: req.socket.localPort ?? 0 });
    open.add(`${req.socket.remotePort}`);
    req.resume();
    req.on('end', () => res.end('{"result":{"nodes":[]}}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // A second "node" that refuses connections: the warm-up still resolves.
  const refused = createServer();
  await new Promise<void>((resolve) => refused.listen(0, '127.0.0.1', resolve));
  const refusedPort = (refused.address() as AddressInfo).port;
  await new Promise<void>((resolve) => refused.close(() => resolve()));
  try {
    const port = (server.address() as AddressInfo).port;
    // 5 channels in calls of 2: a message makes 3 calls at once, so 3 connections per node.
    const t = new CentrifugoBroadcastTarget({
      centrifugo: { apiUrls: [`http://127.0.0.1:${port}/api`, `http://127.0.0.1:${refusedPort}/api`], apiKey: 'k' },
      streams: { s: ['personal:1', 'personal:2', 'personal:3', 'personal:4', 'personal:5'] },
      options: { channelsPerCall: 2 },
      runNonce: 'n',
      maxConcurrency: 1,
      requestTimeoutMs: 5000,
    });
    await t.warmUp();
    assert.deepEqual(
      seen.map((r) => [r.path, r.key]),
      [
        ['/api/info', 'k'],
        ['/api/info', 'k'],
        ['/api/info', 'k'],
      ],
    );
    assert.equal(open.size, 3, 'three connections opened, ready for the first message');
    await t.close();
  } finally {
    server.close();
  }
});

test('warm-up: a node that accepts and never answers is given up on after the timeout', async () => {
  const server = createServer(() => {}); // holds every request, answers none
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const api = new CentrifugoApi([`http://127.0.0.1:${(server.address() as AddressInfo).port}/api`], 'k', {
    connectionsPerNode: 2,
    timeoutMs: 60_000,
  });
  try {
    const started = performance.now();
    await api.warmUp(2, 200);
    const took = performance.now() - started;
    assert.ok(took >= 190 && took < 2000, `warm-up took ${took.toFixed(0)} ms with a 200 ms bound`);
  } finally {
    await api.close();
    server.closeAllConnections();
    server.close();
  }
});
