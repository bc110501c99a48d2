/**
 * A sharded push flood on this box, through the CLI as users drive it: one stack with the push relay and the push
 * sink held by `stack up --scenario scenarios/push-flood.ts` (its stack section), a coordinator and 2 shard processes (`run scenarios/push-flood.ts --shard i/2`), merged by the
 * coordinator — against the same flood as one process on the same stack.
 *
 * - the merged push ledger equals the single process's, field by field (20,000 pushes to 2,000 devices:
 *   enqueued = delivered + failed + queued, unaccounted 0);
 * - each shard registers and pushes to its own half of the devices, and its ledger counts its own pushes;
 * - the sink's run-wide figures (e2e latency, receipts) are shard 0's alone, so the merge counts every receipt once;
 * - nothing is left running after `stack down`.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ExitCode } from '../common/exit-codes.ts';
import type { RunSummary } from '../common/summary-types.ts';
import { readSummary, ShardedCliSession } from './testing/sharded-cli.ts';

const session = new ShardedCliSession('cb-sharded-push-');
const RESULTS = session.results;
const STACKS = session.stacks;

/** The scenario's flood, small (20,000 pushes to 2,000 devices by default), against the held stack. */
function floodSets(pushes = 20_000, devices = 2_000, extra: [string, string][] = []): string[] {
  return [
    ['stack.provider', 'external'],
    ['stack.stackFile', path.join(STACKS, 'push.json')],
    ['push.devices.count', String(devices)],
    ['push.pushes.total', String(pushes)],
    ['push.drainTimeoutS', '60'],
    ...extra,
  ].flatMap(([key, value]) => ['--set', `${key}=${value}`]);
}

/** The flood as one process, then as 2 shards with a coordinator; their summaries (single, merged, shards). */
async function singleAndSharded(runId: string, sets: string[], mergedExit: number = ExitCode.ok) {
  const single = session.cli(['run', 'scenarios/push-flood.ts', '--no-thresholds', '--no-report', ...sets]);
  assert.equal(await single.exit, ExitCode.ok, single.stderr());
  const { run: coord, url } = await session.coordinate('scenarios/push-flood.ts', 2, runId, ['--merge', ...sets]);
  const shards = [0, 1].map((index) => session.shard('scenarios/push-flood.ts', index, 2, url, runId, sets));
  for (const shard of shards) assert.equal(await shard.exit, ExitCode.ok, shard.stderr());
  // The merged run is judged by the scenario's thresholds (run.json), as a single run without --no-thresholds.
  assert.equal(await coord.exit, mergedExit, `${coord.stderr()}\n${coord.stdout()}`);
  return {
    one: readSummary(session.singleRunDir(single)),
    merged: readSummary(path.join(RESULTS, runId)),
    parts: [0, 1].map((index) => readSummary(path.join(RESULTS, runId, 'shards', String(index)))),
  };
}

const count = (summary: RunSummary, name: string) => {
  const metric = summary.metrics[name];
  return metric?.type === 'counter' || metric?.type === 'trend' ? metric.count : undefined;
};

let stackUp = false;

before(async () => {
  // The scenario's own stack section (relay + sink), smaller: what a user types before starting the shards.
  const up = session.cli([
    'stack',
    'up',
    '--scenario',
    'scenarios/push-flood.ts',
    '--name',
    'push',
    ...[
      'stack.pushSink.workers=1',
      'stack.pushRelay.workerProcesses=1',
      'stack.pushRelay.retry.baseDelayMs=200',
      'stack.pushRelay.retry.rateLimitedInitialDelayMs=500',
      'stack.pushRelay.retry.maxAttempts=10',
    ].flatMap((assignment) => ['--set', assignment]),
  ]);
  assert.equal(await up.exit, ExitCode.ok, up.stderr());
  stackUp = true;
  const file = JSON.parse(readFileSync(path.join(STACKS, 'push.json'), 'utf8')) as {
    endpoints: { pushRelay?: { url: string }; pushSink?: { fcmUrl: string } };
  };
  assert.ok(file.endpoints.pushRelay?.url && file.endpoints.pushSink?.fcmUrl, 'the stack file names relay and sink');
});

after(async () => {
  if (stackUp) {
    const down = session.cli(['stack', 'down', '--name', 'push']);
    assert.equal(await down.exit, ExitCode.ok, down.stderr());
    assert.ok(!existsSync(path.join(STACKS, 'push.json')), 'stack down removed the stack file');
  }
  // The holder and its services (PostgreSQL, Redis, Centrifugo, relay, sink) carry the `stack up` process's tag.
  await session.assertNothingLeft();
  session.remove();
});

test('2 shards of a 20,000-push flood: the merged ledger equals one process’s exactly, each receipt counted once', async () => {
  const { one, merged, parts } = await singleAndSharded('push-2', floodSets());
  assert.equal(merged.valid, one.valid, merged.invalidReasons.join('; '));
  assert.deepEqual(one.push_ledger, { enqueued: 20_000, delivered: 20_000, failed: {}, queued: 0, unaccounted: 0 });
  assert.deepEqual(merged.push_ledger, one.push_ledger, 'the merged ledger is the single process’s');
  // Each shard's ledger counts its own pushes: half of them each.
  assert.deepEqual(
    parts.map((part) => part.push_ledger?.enqueued),
    [10_000, 10_000],
  );
  assert.equal(count(merged, 'pushes_enqueued'), 20_000);
  assert.equal(count(merged, 'pushes_delivered'), 20_000);
  assert.equal(count(merged, 'pushes_unaccounted'), 0);
  // The sink's figures are the run's, on shard 0 only: one e2e latency per receipt, none counted twice.
  assert.equal(count(parts[0]!, 'push_e2e_latency'), 20_000);
  assert.equal(count(parts[1]!, 'push_e2e_latency'), undefined);
  assert.equal(count(merged, 'push_e2e_latency'), count(one, 'push_e2e_latency'));
  // Each shard registered its own half of the devices.
  for (const [index, part] of parts.entries()) {
    const register = part.timeline.find((event) => event.name === 'register');
    assert.match(register?.detail ?? '', index === 0 ? /devices 0\.\.999 of 2000/ : /devices 1000\.\.1999 of 2000/);
  }
});

test('dead tokens, the sink’s fault profile set once by shard 0: the merged ledger and its failures equal one process’s', async () => {
  const sets = floodSets(4_000, 1_000, [['push.sinkFaults', 'dead-tokens']]);
  // The scenario's `pushes_failed count==0` fails on the merged run, as it would on one process: exit 99.
  const { one, merged, parts } = await singleAndSharded('push-dead', sets, ExitCode.thresholdsFailed);
  const failed = Object.values(one.push_ledger?.failed ?? {}).reduce((a, b) => a + b, 0);
  assert.ok(failed > 0, `dead tokens failed: ${JSON.stringify(one.push_ledger)}`);
  assert.equal(one.push_ledger?.unaccounted, 0);
  // Every count equal; failures by reason may split differently: the relay remembers a token it found dead in an
  // earlier flood on this stack (the single run's) and fails it as `dead_token` without sending it again, where a
  // fresh relay fails the first push to it with the sink's answer (`unregistered`, `webpush_gone`).
  const totals = (ledger: RunSummary['push_ledger']) => ({
    ...ledger,
    failed: Object.values(ledger?.failed ?? {}).reduce((a, b) => a + b, 0),
  });
  assert.deepEqual(totals(merged.push_ledger), totals(one.push_ledger), 'the merged ledger is the single process’s');
  // Only shard 0 applied (and, once every shard had drained, cleared) the profile.
  assert.ok(parts[0]!.timeline.some((event) => event.kind === 'fault' && /dead-tokens/.test(event.name)));
  assert.ok(!parts[1]!.timeline.some((event) => event.kind === 'fault'));
});

test('a flood that cannot be sharded: one line, exit 2, before anything starts', async () => {
  for (const [sets, message] of [
    [floodSets(20_000, 2_000, [['push.api', 'generic']]), /--shard: push\.api: generic cannot be sharded/],
    [floodSets(1), /push\.pushes\.total: 1 split over 2 shards leaves shard 0 none/],
  ] as const) {
    const bad = session.cli([
      'run',
      'scenarios/push-flood.ts',
      '--shard',
      '0/2',
      '--coordinator',
      'http://127.0.0.1:9',
      '--run-id',
      'x',
      ...sets,
    ]);
    assert.equal(await bad.exit, ExitCode.badInput, bad.stderr());
    assert.match(bad.stderr(), message);
  }
});
