/**
 * The cdc chain's bad input: a broker that never becomes ready is reported with its log tail (exit 2) and
 * nothing is left running; Java or the jars missing → one line with the exact fix, exit 2, before anything
 * starts (through the CLI, as a user meets it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isUserError } from '../../common/errors.ts';
import { freePort } from '../local/ports.ts';
import { LocalRuntime } from '../testing.ts';
import { findTool } from '../toolchain/tools.ts';
import { KafkaService } from './kafka.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'cb-kafka-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Kafka service: bad input', () => {
  it('a broker that never becomes ready: its log tail, exit 2, nothing left running', async () => {
    const runtime = new LocalRuntime({ runId: 'kafka-never-ready', logsDir: path.join(scratch, 'logs') });
    // Its controller quorum is a port nobody listens on: the JVM runs, but never gets a leader.
    const nobody = await freePort();
    let error: unknown;
    try {
      await new KafkaService()
        .withSetting('controller.quorum.voters', `1@127.0.0.1:${nobody}`)
        .withReadyTimeoutMs(10_000)
        .start(runtime);
    } catch (e) {
      error = e;
    }
    const pids = runtime.processes().map((p) => p.pid);
    await runtime.close();
    assert.ok(isUserError(error), String(error));
    assert.equal(error.exitCode, 2);
    assert.match(error.message, /^kafka (did not become ready within 10s|exited .* before it was ready)/);
    assert.match(error.message, /its log is .*kafka\.log/);
    assert.ok(error.details.length > 0, 'the log tail comes with the message');
    assert.ok(pids.length > 0 && pids.every((pid) => !alive(pid)), 'nothing left running');
  });

  const cli = (env: Record<string, string>) =>
    spawnSync(
      process.execPath,
      [
        path.join(root, 'harness/cli/bin.mjs'),
        'run',
        'scenarios/compare.ts',
        '--set',
        'stack.chatApp.mode=cdc',
        '--no-setup',
      ],
      { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } },
    );

  it('the jars missing: one line with the exact fix, exit 2', () => {
    const emptyCache = path.join(scratch, 'cache');
    mkdirSync(emptyCache, { recursive: true });
    const centrifugo = findTool('centrifugo');
    assert.ok(centrifugo, 'the pinned Centrifugo is built (setup)');
    const result = cli({ XDG_CACHE_HOME: emptyCache, CENTRIFUGO_BENCH_CENTRIFUGO: centrifugo.path });
    assert.equal(result.status, 2, result.stderr);
    const errors = result.stderr.split('\n').filter((l) => l.startsWith('error:'));
    assert.equal(errors.length, 1, result.stderr);
    assert.match(
      errors[0]!,
      /^error: the cdc modes' jars \(Kafka 4\.3\.0, Debezium 3\.6\.1\.Final\) are missing; run `centrifugo-bench setup` .*apt-get install maven.*\$CENTRIFUGO_BENCH_CDC_JARS/,
    );
  });

  it('Java missing: one line with the exact fix, exit 2', () => {
    const result = cli({ CENTRIFUGO_BENCH_JAVA: path.join(scratch, 'no-java') });
    assert.equal(result.status, 2, result.stderr);
    const errors = result.stderr.split('\n').filter((l) => l.startsWith('error:'));
    assert.equal(errors.length, 1, result.stderr);
    assert.match(errors[0]!, /^error: \$CENTRIFUGO_BENCH_JAVA points to .*no-java, which is not an executable file/);
  });
});
