/**
 * A sharded run whose shard 1 runs as a Kubernetes pod would: in a container from the harness image, started
 * by the engine (Podman, through the containers provider's runtime: labelled with a run id, removed at teardown,
 * watched by the reaper), its index from JOB_COMPLETION_INDEX with `--shards 2` (the Indexed Job's way, no
 * `--shard i/n`), its results folder in the container's own filesystem only, the external stack file mounted
 * read-only. Shard 0, the coordinator and the held stack (`stack up`, memory engine) are processes on this host.
 *
 * The container is on the host network: every load goes to 127.0.0.1 and the stack listens on the host's
 * loopback only, so a container with its own network namespace could not reach it (harness/distributed/README.md).
 * In every other way it is a pod: its own mount and PID namespaces and filesystem, started by an engine.
 *
 * Asserted: the merged run owes, delivers, loses and duplicates what one process does; shard 1's folder reached
 * the coordinator; its results path exists in the container and not on the host; no container and no process
 * (shards, coordinator, stack, the engine's API service, the container's processes) is left.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { getContainerRuntimeClient } from 'testcontainers';
import { ExitCode } from '../common/exit-codes.ts';
import {
  ContainersRuntime,
  connectEngine,
  ensureHarnessImage,
  LocalRuntime,
  processesWithEnv,
  RUN_LABEL,
  TSX_CACHE,
} from '../stack/testing.ts';
import {
  BIN,
  deliveryCounts as counts,
  readSummary,
  ShardedCliSession,
  smallBroadcastSets,
  TAG,
} from './testing/sharded-cli.ts';

const skip =
  spawnSync('podman', ['--version']).status === 0 ? false : 'podman is not installed (run `centrifugo-bench setup`)';

const session = new ShardedCliSession('cb-sharded-container-');
const RESULTS = session.results;
const STACK_FILE = path.join(session.stacks, 'default.json');
/** The stack file names its secrets file (the API key) beside it: both go in, read-only, never printed. */
const SECRETS_FILE = path.join(session.stacks, 'default.secrets.json');
const cli = (args: string[], env: Record<string, string> = {}) => session.cli(args, env);

/**
 * Marks what this test process starts itself (the reaper, Podman's API service and the conmon it forks) and,
 * passed in, every process of the container: the leftover check finds them by it. The CLI processes the session
 * starts get their own values (startCli overrides it).
 */
const podTag = randomUUID();
process.env[TAG] = podTag;

/** The small broadcast workload (90 subscribers, 6 messages a second for 3 s) against the held stack. */
const SETS = smallBroadcastSets(STACK_FILE, 3);

let stackHolder: ReturnType<typeof cli> | undefined;
before(async () => {
  if (skip) return;
  const up = cli(['stack', 'up', '--no-setup', '--engine', 'memory']);
  assert.equal(await up.exit, ExitCode.ok, up.stderr());
  stackHolder = up;
  session.exempt(up); // the stack outlives the test until `after`
});

after(async () => {
  if (stackHolder) {
    await cli(['stack', 'down']).exit;
    session.include(stackHolder);
  }
  await session.assertNothingLeft();
  session.remove();
});

test('shard 1 of 2 in a harness-image container (JOB_COMPLETION_INDEX, own filesystem, host network), shard 0 a process: merged counts equal one process, nothing left', {
  skip,
  timeout: 240_000,
}, async (t) => {
  // Where the time goes (the file should stay near 90 s): each step's seconds, printed as one diagnostic line.
  const steps: string[] = [];
  let last = performance.now();
  const step = (what: string) => {
    steps.push(`${what} ${((performance.now() - last) / 1000).toFixed(1)}s`);
    last = performance.now();
  };
  const runId = 'pod';
  const single = cli(['run', 'scenarios/smoke.ts', '--no-thresholds', '--no-report', ...SETS]);
  assert.equal(await single.exit, ExitCode.ok, single.stderr());
  step('single process');

  // The container's runtime: a run id of its own labels the container (`centrifugo-bench.run=<id>`), the reaper
  // removes it should this process die, `close()` removes it and stops the engine's API service if it started one.
  const containerRun = `shard-pod-${randomUUID().slice(0, 8)}`;
  const logsDir = mkdtempSync(path.join(os.tmpdir(), 'cb-sharded-container-logs-'));
  const local = new LocalRuntime({ runId: containerRun, logsDir });
  // A path of the pod's own filesystem (the manifests' emptyDir at /results): unique, so that it not existing on
  // the host says something.
  const podResults = `/results-${randomUUID()}`;
  const shard0Results = path.join(RESULTS, 'shard-0');
  try {
    const engine = await connectEngine(local);
    // Built before the coordinator starts (its registration timeout), reused while the repository is unchanged.
    const { image } = ensureHarnessImage(engine.cli);
    const runtime = new ContainersRuntime(local, engine, () => image);
    step('engine and image');

    const { run: coordinator, url } = await session.coordinate('scenarios/smoke.ts', 2, runId, [...SETS, '--merge']);
    const pod = await runtime.start({
      name: 'shard-1',
      image,
      entrypoint: [realpathSync(process.execPath)],
      // The Indexed Job's arguments: the count, not the index (that is JOB_COMPLETION_INDEX).
      command: [
        BIN,
        'run',
        'scenarios/smoke.ts',
        '--shards',
        '2',
        '--coordinator',
        url,
        '--run-id',
        runId,
        '--no-thresholds',
        '--no-report',
        ...SETS,
      ],
      env: { JOB_COMPLETION_INDEX: '1', CENTRIFUGO_BENCH_RESULTS: podResults, [TAG]: podTag },
      // The stack file and its secrets; and tsx's compile cache (content-addressed, as the provider mounts it for
      // harness-image services), read-only: a pod compiles the harness itself, seconds this test saves, and
      // nothing the container writes reaches the host (tsx ignores a cache it cannot write).
      readOnlyMounts: [STACK_FILE, SECRETS_FILE, ...(existsSync(TSX_CACHE) ? [TSX_CACHE] : [])],
      stopTimeoutMs: 10_000,
    });
    // A pod's namespaces: its own mount and PID namespaces, the host's network (the loopback rule).
    const client = await getContainerRuntimeClient();
    const { State } = (await client.container.getById(pod.id!).inspect()) as { State: { Pid: number } };
    const namespace = (pid: number | 'self', kind: string) => readlinkSync(`/proc/${pid}/ns/${kind}`);
    assert.notEqual(namespace(State.Pid, 'mnt'), namespace('self', 'mnt'), 'its own mount namespace');
    assert.notEqual(namespace(State.Pid, 'pid'), namespace('self', 'pid'), 'its own PID namespace');
    assert.equal(namespace(State.Pid, 'net'), namespace('self', 'net'), 'the host’s network namespace');
    const shard0 = session.shard('scenarios/smoke.ts', 0, 2, url, runId, SETS, {
      CENTRIFUGO_BENCH_RESULTS: shard0Results,
    });

    assert.equal(await shard0.exit, ExitCode.ok, shard0.stderr());
    step('container started, shard 0 done');
    const deadline = performance.now() + 120_000;
    while (pod.running && performance.now() < deadline) await sleep(100);
    const podLog = () => pod.logTail(40).join('\n');
    assert.equal(pod.running, false, `the shard container exits:\n${podLog()}`);
    assert.equal(pod.status?.code, ExitCode.ok, podLog());
    assert.equal(await coordinator.exit, ExitCode.ok, coordinator.stderr());
    step('shard 1 and the merge done');
    assert.match(readFileSync(pod.logFile, 'utf8'), /shard 1\/2 of the run/, 'its index: JOB_COMPLETION_INDEX');

    // Shard 1's folder: written in the container's filesystem (the engine finds it in the stopped container),
    // absent from the host's, and sent to the coordinator, which merged it.
    const ownFolder = path.join(podResults, runId, 'shards', '1');
    const stat = (await client.container
      .getById(pod.id!)
      .infoArchive({ path: path.join(ownFolder, 'summary.json') })) as { name?: string } | undefined;
    assert.ok(stat !== undefined, 'shard 1 wrote its folder in the container');
    assert.equal(existsSync(podResults), false, 'the container’s results path is not on the host');
    // What of the host it sees: the stack file and its secrets read-only, nothing of the coordinator's results
    // folder besides them (the runtime's own temporary and log folders are mounted too, as for every service).
    const { Mounts } = (await client.container.getById(pod.id!).inspect()) as {
      Mounts: { Destination: string; RW: boolean }[];
    };
    for (const file of [STACK_FILE, SECRETS_FILE]) {
      assert.equal(Mounts.find((mount) => mount.Destination === file)?.RW, false, `${file} is mounted read-only`);
    }
    assert.deepEqual(
      Mounts.filter((mount) => mount.Destination.startsWith(RESULTS) && mount.RW).map((mount) => mount.Destination),
      [],
      'nothing of the coordinator’s results folder is writable in the container',
    );
    // The API key came in through the read-only secrets file; the shard's output does not carry it.
    const apiKey = (JSON.parse(readFileSync(SECRETS_FILE, 'utf8')) as { centrifugoApiKey: string }).centrifugoApiKey;
    assert.ok(!readFileSync(pod.logFile, 'utf8').includes(apiKey), 'the API key is not in the shard’s output');
    assert.ok(
      existsSync(path.join(RESULTS, runId, 'shards', '1', 'shard.json')),
      'shard 1’s folder reached the coordinator',
    );
    assert.ok(existsSync(path.join(shard0Results, runId, 'shards', '0', 'summary.json')), 'shard 0 wrote its own');

    const merged = readSummary(path.join(RESULTS, runId));
    const one = readSummary(session.singleRunDir(single));
    assert.equal(merged.valid, true, merged.invalidReasons.join('; '));
    assert.deepEqual(counts(merged), counts(one));
    assert.equal(counts(merged).messages_expected, 6 * 3 * 90);
    assert.equal(counts(merged).messages_lost, 0);
    assert.equal(counts(merged).messages_duplicated, 0);
    const shard1 = JSON.parse(readFileSync(path.join(RESULTS, runId, 'shards', '1', 'shard.json'), 'utf8')) as {
      clock: { before: { offsetUs: number; uncertaintyUs: number } };
    };
    // Same host, same CLOCK_MONOTONIC (no time namespace): the offset is within its uncertainty of 0.
    assert.ok(
      Math.abs(shard1.clock.before.offsetUs) <= shard1.clock.before.uncertaintyUs,
      JSON.stringify(shard1.clock),
    );
  } finally {
    await local.close();
    rmSync(logsDir, { recursive: true, force: true });
    step('container removed');
    t.diagnostic(steps.join(', '));
  }
  const left = spawnSync('podman', ['ps', '-aq', '--filter', `label=${RUN_LABEL}=${containerRun}`], {
    encoding: 'utf8',
  });
  assert.equal(left.status, 0, left.stderr);
  assert.equal(left.stdout.trim(), '', 'no container of the run is left');
  const deadline = performance.now() + 15_000;
  while (processesWithEnv(TAG, podTag).length && performance.now() < deadline) await sleep(200);
  assert.deepEqual(processesWithEnv(TAG, podTag), [], 'no process of the container or the engine is left');
  await session.assertNothingLeft();
});
