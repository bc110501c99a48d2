/**
 * The CLI as users drive it: exit codes, one clear line for bad input, and teardown that always happens —
 * on Ctrl-C, on SIGTERM, during start-up, and even when the harness itself is SIGKILLed (the reaper).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { ExitCode } from '../common/exit-codes.ts';
import { processesWithEnv } from '../stack/testing.ts';
import { assertNothingLeft, BIN, TAG, tempDir, until } from './testing.ts';

interface Run {
  child: ChildProcess;
  tag: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function cli(args: string[], env: Record<string, string> = {}, resultsDir?: string): Run {
  const tag = randomUUID();
  const results = resultsDir ?? tempDir('cb-cli-test-');
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env, [TAG]: tag, CENTRIFUGO_BENCH_RESULTS: results },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (err += c));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, tag, stdout: () => out, stderr: () => err, exit };
}

const ALL = ['stack', 'up', '--foreground', '--no-setup', '--engine', 'redis', '--services', 'all'];

test('Ctrl-C (SIGINT) on a foreground stack: clean stop, exit 0, nothing left', async () => {
  const run = cli(ALL);
  await until(() => run.stdout().includes('is up'), 90_000, 'the stack to come up');
  assert.doesNotMatch(run.stdout(), /:[^@/\s]+@127/, 'no password printed in any URL');
  run.child.kill('SIGINT');
  assert.equal(await run.exit, ExitCode.ok);
  await assertNothingLeft(run.tag);
});

test('SIGTERM during start-up: teardown, exit 105', async () => {
  const run = cli(ALL);
  await until(() => run.stderr().includes('starting local stack'), 60_000, 'start-up to begin');
  run.child.kill('SIGTERM');
  const code = await run.exit;
  assert.ok(code === ExitCode.externalAbort || code === ExitCode.ok, `exit ${code}`);
  await assertNothingLeft(run.tag);
});

test('the harness SIGKILLed: the reaper removes every service', async () => {
  const run = cli(ALL);
  await until(() => run.stdout().includes('is up'), 90_000, 'the stack to come up');
  assert.ok(processesWithEnv(TAG, run.tag).length >= 5, 'services are running');
  run.child.kill('SIGKILL');
  await run.exit;
  await assertNothingLeft(run.tag);
});

async function badInput(args: string[], pattern: RegExp, env: Record<string, string> = {}): Promise<string> {
  const run = cli(args, env);
  const code = await run.exit;
  const lines = run
    .stderr()
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('error:'));
  assert.equal(code, ExitCode.badInput, `exit code 2; stderr:\n${run.stderr()}`);
  assert.equal(lines.length, 1, `exactly one error line:\n${run.stderr()}`);
  assert.match(lines[0]!, pattern);
  await assertNothingLeft(run.tag);
  return run.stderr();
}

test('bad input: unknown provider, unknown engine, bad nodes', async () => {
  await badInput(['stack', 'up', '--provider', 'kubernetes'], /--provider: .*local.*external.*containers/i);
  await badInput(['stack', 'up', '--engine', 'mysql'], /--engine: .*memory.*redis.*nats/i);
  await badInput(
    ['stack', 'up', '--nodes', '2'],
    /--nodes: 2 Centrifugo nodes need a shared broker: set engine to redis or nats/,
  );
  await badInput(['stack', 'up', '--provider', 'external'], /--stack-file: provider external needs/);
  await badInput(['stak', 'up'], /unknown command/);
});

test('bad input: a missing binary names the variable and how to fix it', async () => {
  await badInput(
    ['stack', 'up', '--foreground', '--engine', 'redis', '--services', 'none'],
    /\$CENTRIFUGO_BENCH_REDIS_SERVER points to \/nonexistent\/redis-server, which is not an executable file/,
    { CENTRIFUGO_BENCH_REDIS_SERVER: '/nonexistent/redis-server' },
  );
});

test('bad input: a port already taken', async () => {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    await badInput(
      ['stack', 'up', '--foreground', '--no-setup', '--services', 'redis', '--centrifugo-port', String(port)],
      new RegExp(`port ${port} on 127.0.0.1 for Centrifugo node 1 is already in use`),
    );
  } finally {
    server.close();
  }
});

test('bad input: a service that fails to become ready shows its log tail', async () => {
  const dir = tempDir('cb-fake-');
  const fake = path.join(dir, 'nats-server');
  writeFileSync(fake, '#!/bin/sh\necho "fake nats: cannot open the JetStream store" >&2\nexit 1\n');
  chmodSync(fake, 0o755);
  const stderr = await badInput(
    ['stack', 'up', '--foreground', '--no-setup', '--services', 'redis,nats,postgres'],
    /nats exited \(code 1\) before it was ready; its log is .*nats\.log/,
    { CENTRIFUGO_BENCH_NATS_SERVER: fake },
  );
  assert.match(stderr, /fake nats: cannot open the JetStream store/, 'log tail shown');

  const hang = path.join(dir, 'hanging-nats');
  writeFileSync(hang, '#!/bin/sh\necho "listening nowhere"\nexec sleep 600\n');
  chmodSync(hang, 0o755);
  await badInput(
    ['stack', 'up', '--foreground', '--no-setup', '--services', 'nats'],
    /nats did not become ready within 2s \(waited for: GET http:\/\/127\.0\.0\.1:\d+\/healthz → 200\)/,
    { CENTRIFUGO_BENCH_NATS_SERVER: hang, CENTRIFUGO_BENCH_READY_TIMEOUT: '2' },
  );
});

test('doctor lists every program with version and path', async () => {
  const run = cli(['doctor', '--json']);
  assert.equal(await run.exit, ExitCode.ok);
  const report = JSON.parse(run.stdout()) as { ok: boolean; tools: { id: string; version: string; path: string }[] };
  assert.equal(report.ok, true);
  const ids = report.tools.map((t) => t.id);
  for (const id of ['centrifugo', 'initdb', 'postgres', 'redis-server', 'nats-server', 'clickhouse-server']) {
    assert.ok(ids.includes(id), id);
  }
  assert.equal(report.tools.find((t) => t.id === 'centrifugo')!.version, '6.9.1');
});

test('stack up (detached) keeps running after the command; a second up is refused; stack down stops it', async () => {
  const results = tempDir('cb-cli-test-');
  const up = cli(['stack', 'up', '--no-setup', '--services', 'redis', '--json'], {}, results);
  assert.equal(await up.exit, ExitCode.ok, up.stderr());
  const file = JSON.parse(up.stdout()) as { pid: number; endpoints: { redis: { url: string } } };
  assert.doesNotMatch(file.endpoints.redis.url, /:[^/]*@/, 'no password in the printed URL');
  assert.ok(processesWithEnv(TAG, up.tag).length >= 2, 'the stack outlives `stack up`');

  const again = cli(['stack', 'up', '--no-setup', '--services', 'redis'], {}, results);
  assert.equal(await again.exit, ExitCode.badInput);
  assert.match(again.stderr(), /a stack named "default" is already running/);

  const down = cli(['stack', 'down'], {}, results);
  assert.equal(await down.exit, ExitCode.ok, down.stderr());
  await assertNothingLeft(up.tag);
  const downAgain = cli(['stack', 'down'], {}, results);
  assert.equal(await downAgain.exit, ExitCode.badInput);
});
