/**
 * Interleaved runs: several arms (two builds, two stack versions, a build and the same build slowed down)
 * run alternately on the same machine, round after round — A B, B A, A B … — so whatever the machine does
 * meanwhile (a neighbour waking up, a warming disk cache) hits every arm alike. Round r of n arms starts at
 * arm r mod n; for two arms that is the ABBA order, which also cancels a linear drift within each pair.
 *
 * Each run is a whole pipeline run in this process (plan → stack → seed → driver → outputs), like a cell
 * of `compare`, with the shared overrides then the arm's own, and the arm's environment variables set for
 * that run only (`CENTRIFUGO_BENCH_CENTRIFUGO=/path/to/other/centrifugo` is how two builds are compared:
 * the stack finds its programs through process.env). What comes back is one RunValues per arm per round,
 * for the gate's paired comparison (ab, calibrate, the lead's experiments).
 */
import { ExitCode } from '../common/exit-codes.ts';
import { formatMs } from '../common/format.ts';
import { log } from '../common/log.ts';
import { median } from '../common/median.ts';
import { type RunValues, readRunValues } from '../gate/index.ts';
import { runPlan } from './pipeline.ts';
import { loadPlan } from './plan.ts';

export interface InterleavedArm {
  /** "A", "B", "A′", "S": in logs and in the session's files. */
  label: string;
  /**
   * `--set` overrides of this arm, after the shared ones. A function is called when each of the arm's
   * runs is planned (calibrate's slowdown is only known once the first A run has measured its p50).
   */
  overrides: readonly string[] | (() => readonly string[]);
  /** Environment variables set for this arm's runs only, restored after each. */
  env: Readonly<Record<string, string>>;
}

/** One finished run of the session. */
export interface InterleavedRun {
  /** 0-based. */
  round: number;
  label: string;
  /** Index of the arm in `arms`. */
  arm: number;
  runId: string;
  dir: string;
  values: RunValues;
  /** The run's own exit code (0, 3 invalid, 99 thresholds failed). */
  exitCode: number;
}

export interface ArmResult {
  label: string;
  /** One per complete round, in round order: values[i] of every arm ran in round i. */
  values: RunValues[];
  /** The run directories, same order. */
  dirs: string[];
}

export interface InterleavedOutcome {
  arms: ArmResult[];
  /** Every finished run in the order it ran (an interrupted round's runs too). */
  order: InterleavedRun[];
  /** Rounds in which every arm ran. */
  completedRounds: number;
  /** Stopped by the signal before every round ran; the caller reports what it has and exits 105. */
  interrupted: boolean;
}

export interface InterleavedInput {
  file: string;
  /** `--set` overrides for every arm (the arm's own come after). */
  overrides: readonly string[];
  arms: readonly InterleavedArm[];
  rounds: number;
  signal: AbortSignal;
  /** Install missing programs first (setup). */
  setup: boolean;
  /**
   * Where the rotation starts (default 0): a session resumed after r rounds passes r, so its first round
   * is ordered as round r would have been. Round numbers in the outcome still count from 0.
   */
  rotationStart?: number;
  /** Area of the progress lines on stderr ('ab', 'calibrate', …). */
  logArea?: string;
  /** After each run (calibrate converts a percentage slowdown once the first A run is known). */
  onRun?: (run: InterleavedRun, soFar: InterleavedOutcome) => void | Promise<void>;
  /** After each complete round (an experiment script saves its progress). */
  onRound?: (round: number, soFar: InterleavedOutcome) => void | Promise<void>;
}

/** What one run returns to the session; the real one runs the pipeline, tests pass their own. */
export type RunOnce = (
  file: string,
  overrides: readonly string[],
  options: { signal: AbortSignal; setup: boolean },
) => Promise<{ dir: string; values: RunValues; exitCode: number }>;

/**
 * The order of the arms in round `round` (0-based): it starts at arm round mod n, so no arm always goes
 * first. Two arms: A B, B A, A B, … (ABBA pairs).
 */
export function roundOrder(round: number, armCount: number): number[] {
  return Array.from({ length: armCount }, (_, i) => (round + i) % armCount);
}

/** Runs `fn` with `env` set on process.env, and puts back what was there (or removes it) afterwards. */
export async function withEnv<T>(env: Readonly<Record<string, string>>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.keys(env).map((name) => [name, process.env[name]] as const);
  try {
    for (const [name, value] of Object.entries(env)) process.env[name] = value;
    return await fn();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** The pipeline, once: what `run` does, without the report (nobody reads 16 of them) or the thresholds' abort. */
export const runPipelineOnce: RunOnce = async (file, overrides, options) => {
  const plan = await loadPlan(file, { overrides, report: false });
  const outcome = await runPlan(plan, options);
  if (outcome.exitCode === ExitCode.harnessError) {
    throw new Error(`run ${outcome.summary.runId} failed: ${outcome.summary.aborted?.reason ?? 'harness error'}`);
  }
  return { dir: outcome.dir, values: await readRunValues(outcome.dir), exitCode: outcome.exitCode };
};

const resolveOverrides = (arm: InterleavedArm): readonly string[] =>
  typeof arm.overrides === 'function' ? arm.overrides() : arm.overrides;

/** "A 12.1 ms · B 12.9 ms": each arm's median p50 delivery latency so far. */
function runningMedians(arms: readonly ArmResult[]): string {
  return arms
    .map((arm) => {
      const p50s = arm.values
        .map((v) => v.values['delivery_latency p50'] ?? v.values['push_e2e_latency p50'] ?? null)
        .filter((v): v is number => v !== null);
      return `${arm.label} ${formatMs(median(p50s))}`;
    })
    .join(' · ');
}

/**
 * Every arm's plan is loaded once before the first run (under its environment), so a bad override fails
 * now with exit 2, not an hour in. Then round after round in rotating order; a harness error stops the
 * session (rethrown after that run's teardown), the signal stops it after the current run (whose own
 * teardown runs; a run the signal cut short is not counted).
 */
export async function runInterleaved(
  input: InterleavedInput,
  runOnce: RunOnce = runPipelineOnce,
): Promise<InterleavedOutcome> {
  const { arms, rounds, signal } = input;
  const area = input.logArea ?? 'interleave';
  if (arms.length < 1) throw new Error('runInterleaved needs at least one arm');
  for (const arm of arms) {
    if (typeof arm.overrides === 'function') continue;
    const overrides = [...input.overrides, ...arm.overrides];
    await withEnv(arm.env, () => loadPlan(input.file, { overrides, report: false }));
  }

  const outcome: InterleavedOutcome = {
    arms: arms.map((arm) => ({ label: arm.label, values: [], dirs: [] })),
    order: [],
    completedRounds: 0,
    interrupted: false,
  };
  const total = rounds * arms.length;
  session: for (let round = 0; round < rounds; round++) {
    const inRound: InterleavedRun[] = [];
    for (const index of roundOrder(round + (input.rotationStart ?? 0), arms.length)) {
      if (signal.aborted) break session;
      const arm = arms[index]!;
      const overrides = [...input.overrides, ...resolveOverrides(arm)];
      log.info(
        area,
        `round ${round + 1}/${rounds}: ${arm.label} starting (run ${outcome.order.length + 1} of ${total})`,
      );
      let result: Awaited<ReturnType<RunOnce>>;
      try {
        result = await withEnv(arm.env, () => runOnce(input.file, overrides, { signal, setup: input.setup }));
      } catch (error) {
        if (signal.aborted) break session;
        throw error;
      }
      if (signal.aborted || result.exitCode === ExitCode.externalAbort) break session;
      const run: InterleavedRun = {
        round,
        label: arm.label,
        arm: index,
        runId: result.values.runId,
        dir: result.dir,
        values: result.values,
        exitCode: result.exitCode,
      };
      log.info(
        area,
        `round ${round + 1}/${rounds}: ${arm.label} (run ${run.runId})${result.values.valid ? '' : ' — INVALID'}`,
      );
      outcome.order.push(run);
      inRound.push(run);
      await input.onRun?.(run, outcome);
    }
    // Only whole rounds count: values[i] of every arm must come from the same round to be paired.
    for (const run of [...inRound].sort((a, b) => a.arm - b.arm)) {
      outcome.arms[run.arm]!.values.push(run.values);
      outcome.arms[run.arm]!.dirs.push(run.dir);
    }
    outcome.completedRounds = round + 1;
    log.info(area, `after round ${round + 1}/${rounds}, median p50: ${runningMedians(outcome.arms)}`);
    await input.onRound?.(round, outcome);
  }
  outcome.interrupted = outcome.completedRounds < rounds;
  return outcome;
}
