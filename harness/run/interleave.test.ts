import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunValues } from '../gate/index.ts';
import { type RunOnce, roundOrder, runInterleaved, withEnv } from './interleave.ts';

const SMOKE = fileURLToPath(new URL('../../scenarios/smoke.ts', import.meta.url));
const VAR = 'CB_INTERLEAVE_TEST_VAR';

function values(runId: string, p50: number): RunValues {
  return {
    runId,
    dir: null,
    startedAt: new Date(0).toISOString(),
    scenario: 'smoke',
    valid: true,
    invalidReasons: [],
    failedThresholds: [],
    values: { 'delivery_latency p50': p50 },
    info: null,
  };
}

/** A runner that records what each run saw: its overrides and the test variable. */
function recordingRunner(seen: Array<{ overrides: readonly string[]; env: string | undefined }>): RunOnce {
  return async (_file, overrides) => {
    seen.push({ overrides, env: process.env[VAR] });
    const id = `run-${seen.length}`;
    return { dir: `/tmp/${id}`, values: values(id, 10 + seen.length), exitCode: 0 };
  };
}

const labelsOf = (order: number[], labels: string[]) => order.map((i) => labels[i]).join('');

test('two arms alternate A B, B A, A B, B A: no arm always goes first', () => {
  const rounds = [0, 1, 2, 3].map((r) => labelsOf(roundOrder(r, 2), ['A', 'B']));
  assert.deepEqual(rounds, ['AB', 'BA', 'AB', 'BA']);
});

test('n arms: round r starts at arm r mod n, each arm once per round', () => {
  assert.deepEqual(
    [0, 1, 2, 3].map((r) => labelsOf(roundOrder(r, 3), ['A', 'a', 'S'])),
    ['AaS', 'aSA', 'SAa', 'AaS'],
  );
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((r) => labelsOf(roundOrder(r, 4), ['A', 'B', 'C', 'D'])),
    ['ABCD', 'BCDA', 'CDAB', 'DABC', 'ABCD'],
  );
});

test('withEnv sets variables for the call only, and restores or removes them, even when the call throws', async () => {
  delete process.env[VAR];
  process.env.CB_INTERLEAVE_TEST_KEPT = 'before';
  const inside = await withEnv({ [VAR]: 'a', CB_INTERLEAVE_TEST_KEPT: 'during' }, async () => [
    process.env[VAR],
    process.env.CB_INTERLEAVE_TEST_KEPT,
  ]);
  assert.deepEqual(inside, ['a', 'during']);
  assert.equal(process.env[VAR], undefined, 'a variable that was unset is removed again');
  assert.equal(process.env.CB_INTERLEAVE_TEST_KEPT, 'before', 'a variable that was set is put back');
  await assert.rejects(
    withEnv({ CB_INTERLEAVE_TEST_KEPT: 'during' }, async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(process.env.CB_INTERLEAVE_TEST_KEPT, 'before');
  delete process.env.CB_INTERLEAVE_TEST_KEPT;
});

test('runInterleaved runs every arm once per round in rotating order, with its overrides and environment', async () => {
  const seen: Array<{ overrides: readonly string[]; env: string | undefined }> = [];
  const rounds: number[] = [];
  const outcome = await runInterleaved(
    {
      file: SMOKE,
      overrides: ['workload.drain=1s'],
      arms: [
        { label: 'A', overrides: ['workload.subscribers.count=10'], env: { [VAR]: 'a' } },
        { label: 'B', overrides: ['workload.subscribers.count=20'], env: { [VAR]: 'b' } },
      ],
      rounds: 3,
      signal: new AbortController().signal,
      setup: false,
      onRound: (round, soFar) => {
        rounds.push(round);
        assert.equal(soFar.completedRounds, round + 1);
      },
    },
    recordingRunner(seen),
  );
  assert.deepEqual(
    outcome.order.map((run) => run.label),
    ['A', 'B', 'B', 'A', 'A', 'B'],
  );
  assert.deepEqual(
    seen.map((s) => s.env),
    ['a', 'b', 'b', 'a', 'a', 'b'],
  );
  assert.deepEqual(seen[1]!.overrides, ['workload.drain=1s', 'workload.subscribers.count=20'], 'shared, then the arm');
  assert.equal(process.env[VAR], undefined, 'the environment is restored after the session');
  assert.deepEqual(
    outcome.arms.map((arm) => arm.values.map((v) => v.runId)),
    [
      ['run-1', 'run-4', 'run-5'],
      ['run-2', 'run-3', 'run-6'],
    ],
    'per arm, in round order: values[i] of both arms ran in round i',
  );
  assert.deepEqual(outcome.arms[1]!.dirs, ['/tmp/run-2', '/tmp/run-3', '/tmp/run-6']);
  assert.deepEqual(rounds, [0, 1, 2]);
  assert.equal(outcome.completedRounds, 3);
  assert.equal(outcome.interrupted, false);
});

test('the signal stops the session after the current run; only whole rounds are paired', async () => {
  const controller = new AbortController();
  const seen: Array<{ overrides: readonly string[]; env: string | undefined }> = [];
  const record = recordingRunner(seen);
  const outcome = await runInterleaved(
    {
      file: SMOKE,
      overrides: [],
      arms: [
        { label: 'A', overrides: [], env: {} },
        { label: 'B', overrides: [], env: {} },
      ],
      rounds: 4,
      signal: controller.signal,
      setup: false,
    },
    async (file, overrides, options) => {
      const result = await record(file, overrides, options);
      if (seen.length === 3) controller.abort(new Error('SIGINT'));
      return result;
    },
  );
  assert.equal(seen.length, 3, 'no run starts after the signal');
  assert.equal(outcome.interrupted, true);
  assert.equal(outcome.completedRounds, 1);
  assert.deepEqual(
    outcome.arms.map((arm) => arm.values.length),
    [1, 1],
  );
  assert.equal(outcome.order.length, 2, 'the run the signal cut short is not counted');
});

test('a run that fails stops the session: the error reaches the caller', async () => {
  let runs = 0;
  await assert.rejects(
    runInterleaved(
      {
        file: SMOKE,
        overrides: [],
        arms: [
          { label: 'A', overrides: [], env: {} },
          { label: 'B', overrides: [], env: {} },
        ],
        rounds: 3,
        signal: new AbortController().signal,
        setup: false,
      },
      async () => {
        runs++;
        if (runs === 2) throw new Error('centrifugo exited');
        return { dir: '/tmp/x', values: values(`run-${runs}`, 10), exitCode: 0 };
      },
    ),
    /centrifugo exited/,
  );
  assert.equal(runs, 2);
});

test('a bad override fails before the first run (exit 2)', async () => {
  let runs = 0;
  await assert.rejects(
    runInterleaved(
      {
        file: SMOKE,
        overrides: [],
        arms: [{ label: 'A', overrides: ['workload.subscribers.count=-5'], env: {} }],
        rounds: 1,
        signal: new AbortController().signal,
        setup: false,
      },
      async () => {
        runs++;
        return { dir: '/tmp/x', values: values('x', 1), exitCode: 0 };
      },
    ),
    (error: Error & { exitCode?: number }) => error.exitCode === 2,
  );
  assert.equal(runs, 0);
});

test('an arm whose overrides are a function is asked when each of its runs starts', async () => {
  let slowdown = 0;
  const seen: Array<{ overrides: readonly string[]; env: string | undefined }> = [];
  await runInterleaved(
    {
      file: SMOKE,
      overrides: [],
      arms: [
        { label: 'A', overrides: [], env: {} },
        { label: 'S', overrides: () => [`x=${slowdown}`], env: {} },
      ],
      rounds: 2,
      signal: new AbortController().signal,
      setup: false,
      onRun: (run) => {
        if (run.label === 'A') slowdown++;
      },
    },
    recordingRunner(seen),
  );
  assert.deepEqual(
    seen.map((s) => s.overrides.join()),
    ['', 'x=1', 'x=1', ''],
  );
});

test('a resumed session continues the rotation where it stopped', async () => {
  const seen: Array<{ overrides: readonly string[]; env: string | undefined }> = [];
  const outcome = await runInterleaved(
    {
      file: SMOKE,
      overrides: [],
      arms: [
        { label: 'A', overrides: [], env: {} },
        { label: 'B', overrides: [], env: {} },
      ],
      rounds: 2,
      rotationStart: 1,
      signal: new AbortController().signal,
      setup: false,
    },
    recordingRunner(seen),
  );
  assert.deepEqual(
    outcome.order.map((run) => `${run.round}${run.label}`),
    ['0B', '0A', '1A', '1B'],
  );
});
