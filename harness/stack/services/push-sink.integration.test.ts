/**
 * The push sink as a stack service: started as a process by the local provider (`pushSink` spec option),
 * ready over TLS, its endpoints in StackEndpoints, its receipts kept next to the run's logs, and the
 * `centrifugo-bench sink` command on its own (one JSON line, clean stop on SIGINT, bad config exits 2).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import https from 'node:https';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withStack } from '../testing.ts';

const BIN = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url));

function get(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

test('stack with pushSink: endpoints, TLS health with the per-run CA, 0600 credentials, receipts dir', async () => {
  let stateFiles: string[] = [];
  await withStack({ pushSink: { workers: 1, fcm: { projectId: 'stack-project' } } }, async (stack) => {
    const sink = stack.endpoints.pushSink;
    assert.ok(sink?.url && sink.controlUrl && sink.credentialsFile && sink.tokenUrl && sink.receiptsDir);
    assert.equal(sink.fcmUrl, `${sink.url}/v1`);
    assert.equal(sink.webPushUrl, `${sink.url}/wp`);
    const ca = readFileSync(sink.caFile);
    assert.equal((await get(`${sink.url}/health`, ca)).status, 200);
    const account = JSON.parse(readFileSync(sink.credentialsFile, 'utf8')) as { project_id: string; token_uri: string };
    assert.equal(account.project_id, 'stack-project');
    assert.equal(account.token_uri, sink.tokenUrl);
    assert.equal(statSync(sink.credentialsFile).mode & 0o777, 0o600);
    assert.ok(existsSync(sink.receiptsDir));
    assert.ok(stack.versions.pushSink);
    stateFiles = [sink.caFile, sink.credentialsFile];
  });
  for (const file of stateFiles) assert.equal(existsSync(file), false, `${file} removed at teardown`);
});

test('`centrifugo-bench sink` prints one JSON line, serves, and stops cleanly on SIGINT', async () => {
  const child = spawn(process.execPath, [BIN, 'sink', '--workers', '2', '--seed', 'cli-test'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CENTRIFUGO_BENCH_QUIET: '1' },
  });
  try {
    let stdout = '';
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no endpoints line within 30 s')), 30_000);
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('\n')) {
          clearTimeout(timer);
          resolve(stdout.split('\n')[0] ?? '');
        }
      });
      child.once('exit', (code) => reject(new Error(`sink exited with ${code}`)));
    });
    const endpoints = JSON.parse(line) as Record<string, string | number>;
    for (const key of ['url', 'fcmUrl', 'tokenUrl', 'webPushUrl', 'controlUrl', 'caFile', 'credentialsFile']) {
      assert.ok(endpoints[key], `${key} printed`);
    }
    assert.doesNotMatch(line, /PRIVATE KEY/, 'no secret on stdout');
    const ca = readFileSync(String(endpoints.caFile));
    const info = JSON.parse((await get(`${endpoints.controlUrl}/info`, ca)).body) as { seed: string; workers: number };
    assert.equal(info.seed, 'cli-test');
    assert.equal(info.workers, 2);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.equal(existsSync(String(endpoints.stateDir)), false, 'temporary state removed');
  } finally {
    child.kill('SIGKILL');
  }
});

test('`centrifugo-bench sink` with a bad config exits 2 naming the field', async () => {
  const child = spawn(process.execPath, [BIN, 'sink', '--workers', 'many'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(stderr, /--workers/);
});
