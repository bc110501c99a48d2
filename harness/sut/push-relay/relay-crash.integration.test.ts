/**
 * "Never lose an accepted push": the relay is killed (SIGKILL) while thousands of device messages are in
 * flight; a new relay process claims what the dead one left pending and the ledger still adds up exactly.
 * Sending is at-least-once (a message in flight at the kill may reach the sink twice), accounting exactly-once.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import webpush from 'web-push';
import type { Stack } from '../../stack/index.ts';
import { startTestStack } from '../../stack/testing.ts';
import { cachedEcdhHelperPath } from './ecdh-helper.ts';
import type { RelayConfigInput } from './relay-config.ts';

const mainFile = fileURLToPath(new URL('./main.ts', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));
let stack: Stack;
let sinkAgent: Agent;
const relays: ChildProcess[] = [];

async function startRelay(configFile: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', mainFile, '--config', configFile], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  relays.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString()));
    child.once('exit', (code) => reject(new Error(`relay exited with ${code} before it was ready`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, child };
}

async function sink<T>(method: string, pathname: string, body?: unknown): Promise<T> {
  const url = new URL(`${stack.endpoints.pushSink!.controlUrl}/${pathname}`);
  const response = await sinkAgent.request({
    origin: url.origin,
    path: url.pathname + url.search,
    method: method as 'GET',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await response.body.json()) as T;
}

// The relay's config file (it holds the run's API key and VAPID private key).
const dir = mkdtempSync(path.join(os.tmpdir(), 'push-relay-crash-'));

before(async () => {
  stack = await startTestStack({ pushSink: {}, services: ['postgres', 'redis'] });
  sinkAgent = new Agent({ connect: { ca: readFileSync(stack.endpoints.pushSink!.caFile) } });
});

after(async () => {
  for (const r of relays) r.kill('SIGKILL');
  await sinkAgent?.close();
  await stack?.down();
  rmSync(dir, { recursive: true, force: true }); // the relay config holds per-run secrets
});

it('claims what a killed relay left in flight and keeps the ledger exact', async () => {
  const sinkEndpoints = stack.endpoints.pushSink!;
  const vapid = webpush.generateVAPIDKeys();
  const config: RelayConfigInput = {
    apiKey: 'crash-test-key',
    postgresUrl: stack.endpoints.postgres!.url,
    redisUrl: stack.endpoints.redis!.url,
    caFile: sinkEndpoints.caFile,
    fcm: { url: sinkEndpoints.fcmUrl, credentialsFile: sinkEndpoints.credentialsFile! },
    webpush: {
      vapidPublicKey: vapid.publicKey,
      vapidPrivateKey: vapid.privateKey,
      subject: 'mailto:bench@example.com',
    },
    workers: { claimIdleMs: 1000, concurrency: 200 },
  };
  const configFile = path.join(dir, 'relay.json');
  writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });

  // Slow answers keep many messages in flight when the relay dies.
  await sink('PUT', 'faults', { latency: { fcm: { p50Ms: 150, p99Ms: 300 } } });
  await sink('POST', 'stats/reset', {});
  const { tokens } = await sink<{ tokens: string[] }>('POST', 'fcm/tokens', { count: 500 });

  const first = await startRelay(configFile);
  const headers = { 'x-api-key': config.apiKey, 'content-type': 'application/json' };
  const total = 3000;
  let next = 0;
  let accepted = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < total) {
        const i = next++;
        const response = await fetch(`${first.url}/api/send_push_notification`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            recipient: { fcm_tokens: [tokens[i % tokens.length]] },
            notification: { fcm: { message: { data: { i: String(i) } } } },
            ledger_scope: 'crash',
          }),
        });
        if (((await response.json()) as { result?: { uid?: string } }).result?.uid) accepted++;
      }
    }),
  );
  assert.equal(accepted, total);
  interface Aggregate {
    pushes: number;
    enqueued: number;
    delivered: number;
    failed: Record<string, number>;
    queued: number;
    unaccounted: number;
  }
  const aggregate = async (url: string): Promise<Aggregate> => {
    const response = await fetch(`${url}/api/push_ledger/aggregate?scope=crash`, { headers });
    return ((await response.json()) as { result: Aggregate }).result;
  };
  const beforeKill = await aggregate(first.url);
  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));
  assert.ok(beforeKill.queued > 0, `the kill should leave messages in flight (queued ${beforeKill.queued})`);

  const second = await startRelay(configFile);
  const deadline = Date.now() + 60_000;
  let ledger = await aggregate(second.url);
  while (ledger.queued > 0 && Date.now() < deadline) {
    await sleep(200);
    ledger = await aggregate(second.url);
  }
  assert.equal(ledger.pushes, total);
  assert.equal(ledger.enqueued, total);
  assert.equal(ledger.delivered, total, JSON.stringify(ledger));
  assert.equal(ledger.queued, 0);
  assert.equal(ledger.unaccounted, 0);
  const stats = await sink<{ receipts: number }>('GET', 'stats');
  assert.ok(stats.receipts >= total, `sink receipts ${stats.receipts} < ${total}: a delivered push never arrived`);
  await sink('PUT', 'faults', {});
  second.child.kill('SIGTERM');
  await new Promise((resolve) => second.child.once('exit', resolve));
});

/** Running processes named ecdh-helper under `root` (zombies, exited and awaiting their reaper, do not count). */
function ecdhHelpersUnder(root: number): number[] {
  const parent = new Map<number, number>();
  const helpers: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    if (fields[0] === 'Z') continue;
    parent.set(Number(entry), Number(fields[1]));
    if (stat.slice(stat.indexOf('(') + 1, close) === 'ecdh-helper') helpers.push(Number(entry));
  }
  return helpers.filter((pid) => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  });
}

async function gone(pids: number[], ms = 5000): Promise<number[]> {
  const alive = (pid: number) => {
    try {
      return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
    } catch {
      return false;
    }
  };
  const until = Date.now() + ms;
  while (pids.some(alive) && Date.now() < until) await sleep(50);
  return pids.filter(alive);
}

it('leaves no ECDH helper behind: one per worker process, gone on SIGTERM and on SIGKILL', async (t) => {
  if (!existsSync(cachedEcdhHelperPath()) || process.env.PUSH_RELAY_ECDH === 'node') {
    t.skip('the ECDH helper is not built (setup builds it) or is switched off');
    return;
  }
  const sinkEndpoints = stack.endpoints.pushSink!;
  const vapid = webpush.generateVAPIDKeys();
  const base: RelayConfigInput = {
    apiKey: 'orphan-test-key',
    postgresUrl: stack.endpoints.postgres!.url,
    redisUrl: stack.endpoints.redis!.url,
    redisPrefix: 'orphan',
    caFile: sinkEndpoints.caFile,
    webpush: { vapidPublicKey: vapid.publicKey, vapidPrivateKey: vapid.privateKey, subject: 'mailto:b@example.com' },
  };
  for (const [processes, signal] of [
    [2, 'SIGTERM'],
    [0, 'SIGKILL'],
  ] as const) {
    const configFile = path.join(dir, `orphan-${processes}.json`);
    writeFileSync(configFile, JSON.stringify({ ...base, workers: { processes } }), { mode: 0o600 });
    const relay = await startRelay(configFile);
    const helpers = ecdhHelpersUnder(relay.child.pid!);
    assert.equal(helpers.length, Math.max(1, processes), `one helper per sending process (${processes} workers)`);
    relay.child.kill(signal);
    await new Promise((resolve) => relay.child.once('exit', resolve));
    assert.deepEqual(await gone(helpers), [], `no helper outlives a relay stopped with ${signal}`);
  }
});
