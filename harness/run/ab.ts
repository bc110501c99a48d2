/**
 * `ab`: a baseline (A, e.g. main's build) against a candidate (B) on this machine, interleaved A B, B A,
 * A B … so the machine's drift hits both alike, judged pair by pair (each pair shared the machine's state)
 * by the gate's paired comparison: pass, regression (99) or inconclusive (4). One session folder,
 * `results/ab-<id>/`: ab.json (settings, arms, runs in order, the comparison, the verdict), summary.md and
 * junit.xml.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors.ts';
import { ExitCode, type ExitCodeValue } from '../common/exit-codes.ts';
import { log, redact } from '../common/log.ts';
import { newRunId, resultsRoot } from '../common/run-id.ts';
import {
  COMPARISON_DEFAULTS,
  compareRunValues,
  decideComparisonVerdict,
  RUN_METRICS,
  type RunComparison,
  renderComparisonJunit,
  renderComparisonMarkdown,
  type Verdict,
} from '../gate/index.ts';
import { minimumPairsFor } from './detectable-effect.ts';
import { type InterleavedArm, type InterleavedOutcome, runInterleaved } from './interleave.ts';
import { type DriverKind, loadPlan } from './plan.ts';

export const MAX_PAIRS = 1000;

export interface AbSide {
  /** `--a-set` / `--b-set`: this side's overrides, after the shared ones. */
  overrides: readonly string[];
  /** `--a-env` / `--b-env`: e.g. CENTRIFUGO_BENCH_CENTRIFUGO=/path/to/candidate/centrifugo. */
  env: Readonly<Record<string, string>>;
}

export interface AbInput {
  file: string;
  pairs: number;
  /** `--set`: both sides. */
  overrides: readonly string[];
  a: AbSide;
  b: AbSide;
  alpha?: number;
  effect?: number;
  signal: AbortSignal;
  setup: boolean;
  onRound?: Parameters<typeof runInterleaved>[0]['onRound'];
}

export interface AbOutcome {
  /** `results/ab-<id>/` */
  dir: string;
  files: { json: string; markdown: string | null; junit: string | null };
  session: InterleavedOutcome;
  /** Null when not one pair finished (interrupted in the first). */
  comparison: RunComparison | null;
  verdict: Verdict | null;
  /** The verdict's, or 105 when the session was interrupted. */
  exitCode: ExitCodeValue;
  warnings: string[];
}

/** The metrics a run of this driver measures, hence how many a comparison corrects for. */
export function metricsJudged(driver: DriverKind): number {
  return RUN_METRICS.filter((spec) => spec.metric.startsWith('push') === (driver === 'push')).length;
}

const sameSide = (a: AbSide, b: AbSide): boolean =>
  JSON.stringify([...a.overrides].sort()) === JSON.stringify([...b.overrides].sort()) &&
  JSON.stringify(Object.entries(a.env).sort()) === JSON.stringify(Object.entries(b.env).sort());

/** Checks what a caller passed; UserError (exit 2) with one line. Returns the warnings to print up front. */
export function checkAbInput(input: Pick<AbInput, 'pairs' | 'a' | 'b'>): string[] {
  if (!Number.isInteger(input.pairs) || input.pairs < 1 || input.pairs > MAX_PAIRS) {
    throw new UserError(`--pairs ${input.pairs}: expected a whole number from 1 to ${MAX_PAIRS}, e.g. 8`);
  }
  return sameSide(input.a, input.b)
    ? ['A and B are identical: an A/A run (useful to see the noise; see also `calibrate`)']
    : [];
}

export async function runAb(input: AbInput): Promise<AbOutcome> {
  const warnings = checkAbInput(input);
  const alpha = input.alpha ?? COMPARISON_DEFAULTS.alpha;
  const effect = input.effect ?? COMPARISON_DEFAULTS.effect;
  const planA = await loadPlan(input.file, { overrides: [...input.overrides, ...input.a.overrides], report: false });
  const metrics = metricsJudged(planA.driver);
  const least = minimumPairsFor(alpha, metrics);
  if (input.pairs < least) {
    warnings.push(
      `${least} pairs is the least that can decide ${metrics} metrics at α ${alpha}: with ${input.pairs} the verdict can only be inconclusive`,
    );
  }
  for (const warning of warnings) log.warn('ab', warning);

  const dir = path.join(resultsRoot(), `ab-${newRunId()}`);
  mkdirSync(dir, { recursive: true });
  log.info('ab', `${input.pairs} pairs of ${input.file}, A B / B A interleaved → ${dir}`);
  const arms: InterleavedArm[] = [
    { label: 'A', overrides: input.a.overrides, env: input.a.env },
    { label: 'B', overrides: input.b.overrides, env: input.b.env },
  ];
  const session = await runInterleaved({
    file: input.file,
    overrides: input.overrides,
    arms,
    rounds: input.pairs,
    signal: input.signal,
    setup: input.setup,
    logArea: 'ab',
    onRound: input.onRound,
  });

  const [baseline, current] = [session.arms[0]!.values, session.arms[1]!.values];
  const comparison = baseline.length > 0 ? compareRunValues(baseline, current, { alpha, effect, paired: true }) : null;
  const verdict = comparison ? decideComparisonVerdict(comparison, { baseline, current }) : null;

  const files: AbOutcome['files'] = { json: path.join(dir, 'ab.json'), markdown: null, junit: null };
  if (comparison && verdict) {
    const pairs = session.completedRounds;
    const title = `A/B: ${planA.scenario.name}, ${pairs} interleaved pair${pairs === 1 ? '' : 's'}`;
    files.markdown = path.join(dir, 'summary.md');
    files.junit = path.join(dir, 'junit.xml');
    writeFileSync(files.markdown, redact(renderComparisonMarkdown(comparison, verdict, { title })));
    writeFileSync(
      files.junit,
      redact(renderComparisonJunit(comparison, verdict, { suite: `centrifugo-bench ab ${planA.scenario.name}` })),
    );
  }
  const record = {
    kind: 'ab',
    scenario: { file: input.file, name: planA.scenario.name },
    settings: { pairs: input.pairs, overrides: input.overrides, alpha, effect, minimumPairs: least },
    arms: arms.map((arm) => ({ label: arm.label, overrides: arm.overrides, env: arm.env })),
    runs: session.order.map((run) => ({ round: run.round, label: run.label, runId: run.runId, dir: run.dir })),
    completedPairs: session.completedRounds,
    interrupted: session.interrupted,
    warnings,
    comparison,
    verdict,
  };
  writeFileSync(files.json, redact(`${JSON.stringify(record, null, 2)}\n`));
  const exitCode = session.interrupted ? ExitCode.externalAbort : (verdict?.exitCode ?? ExitCode.externalAbort);
  return { dir, files, session, comparison, verdict, exitCode, warnings };
}
