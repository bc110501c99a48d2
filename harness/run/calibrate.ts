/**
 * `calibrate`: what can the gate catch on this machine? Three arms interleaved in rotating order — A, A′
 * (the same build again) and S (A with a known injected slowdown, `workload.publishers.slowdown`) — then,
 * per metric: the runner's noise floor (the spread of the A/A paired log-ratios), what the gate says of
 * A vs A′ (should pass or be inconclusive, never regress) and of A vs S (the measured change beside the
 * injected one), and the minimum detectable effect for several numbers of pairs, simulated from this
 * runner's own A/A noise (detectable-effect.ts). Written to `results/calibrate-<id>/`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors.ts';
import { ExitCode, type ExitCodeValue } from '../common/exit-codes.ts';
import { formatMs } from '../common/format.ts';
import { log, redact } from '../common/log.ts';
import { median } from '../common/median.ts';
import { newRunId, resultsRoot } from '../common/run-id.ts';
import {
  COMPARISON_DEFAULTS,
  compareRunValues,
  decideComparisonVerdict,
  type MetricComparison,
  RUN_METRICS,
  type RunComparison,
  type RunValues,
  type Verdict,
} from '../gate/index.ts';
import { type DetectableEffect, detectableEffect, MIN_NOISE_PAIRS } from './detectable-effect.ts';
import { type InterleavedArm, type InterleavedOutcome, runInterleaved } from './interleave.ts';
import { loadPlan } from './plan.ts';

/** The numbers of pairs the minimum detectable effect is reported for, beside --pairs. */
export const CALIBRATION_PAIRS: readonly number[] = [5, 8, 10, 12, 15, 20];
export const DEFAULT_POWER = 0.95;
/** A slowdown converted from a percentage is rounded to this, and is at least this (ms). */
const SLOWDOWN_STEP_MS = 0.1;

export type Slowdown = { kind: 'percent'; fraction: number } | { kind: 'ms'; ms: number };

export interface CalibrateInput {
  file: string;
  pairs: number;
  overrides: readonly string[];
  slowdown: Slowdown;
  alpha?: number;
  effect?: number;
  power?: number;
  signal: AbortSignal;
  setup: boolean;
}

export interface MetricCalibration {
  id: string;
  /** A/A paired log-ratios (ln A′ − ln A), one per round. */
  aaLogRatios: number[];
  /** Their standard deviation and median absolute value, as percentages; null with < 2 (sd) or 0 pairs. */
  noiseSdPercent: number | null;
  noiseMedianAbsPercent: number | null;
  aa: MetricComparison | null;
  slowed: MetricComparison | null;
  /** The injected slowdown as a change of this metric (ms over A's median), for latencies; null otherwise. */
  injectedChange: number | null;
  /** Per number of pairs. */
  detectable: DetectableEffect[];
}

export interface CalibrateOutcome {
  dir: string;
  files: { json: string; markdown: string };
  session: InterleavedOutcome;
  slowdownMs: number;
  /** How the slowdown was chosen, one line. */
  slowdownNote: string;
  aa: { comparison: RunComparison; verdict: Verdict } | null;
  slowed: { comparison: RunComparison; verdict: Verdict } | null;
  metrics: MetricCalibration[];
  /** 0 when it ran; 3 when a run was invalid; 105 when interrupted. */
  exitCode: ExitCodeValue;
  /** The terminal table. */
  text: string;
}

/** A percentage of A's first p50 in ms: rounded to 0.1 ms, at least 0.1 ms. */
export function slowdownMsFromPercent(fraction: number, p50Ms: number): number {
  const ms = Math.round((fraction * p50Ms) / SLOWDOWN_STEP_MS) * SLOWDOWN_STEP_MS;
  return Math.max(SLOWDOWN_STEP_MS, Number(ms.toFixed(1)));
}

const slowdownOverride = (ms: number) => `workload.publishers.slowdown=${ms}ms`;

function standardDeviation(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
}

function logRatios(id: string, a: readonly RunValues[], b: readonly RunValues[]): number[] {
  const ratios: number[] = [];
  for (const [i, run] of a.entries()) {
    const x = run.values[id];
    const y = b[i]?.values[id];
    if (x != null && y != null && x > 0 && y > 0) ratios.push(Math.log(y) - Math.log(x));
  }
  return ratios;
}

const pct = (fraction: number | null, digits = 1) =>
  fraction === null ? '—' : `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(digits)} %`;

function describeMde(d: DetectableEffect): string {
  if (d.pairs < d.minimumPairs) return 'cannot decide';
  if (!d.canDecide) return `need ${MIN_NOISE_PAIRS} A/A`;
  return d.effect === null ? '> 100 %' : `${(d.effect * 100).toFixed(1)} %`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)) + 2);
  return rows.map(
    (r) =>
      `    ${r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('')
        .trimEnd()}`,
  );
}

function render(
  outcome: Omit<CalibrateOutcome, 'text' | 'files' | 'dir' | 'exitCode'>,
  settings: { pairs: number; alpha: number; effect: number; power: number },
): string {
  const { metrics } = outcome;
  const first = table([
    ['metric', 'noise sd', 'median |A/A|', 'A/A', 'A vs S measured', 'injected'],
    ...metrics.map((m) => [
      m.id,
      m.noiseSdPercent === null ? '—' : `${m.noiseSdPercent.toFixed(1)} %`,
      m.noiseMedianAbsPercent === null ? '—' : `${m.noiseMedianAbsPercent.toFixed(1)} %`,
      m.aa?.verdict ?? '—',
      m.slowed?.change ? `${pct(m.slowed.change.estimate)} ${m.slowed.verdict}` : (m.slowed?.verdict ?? '—'),
      pct(m.injectedChange),
    ]),
  ]);
  const ks = metrics[0]?.detectable.map((d) => d.pairs) ?? [];
  const second = table([
    ['minimum detectable effect', ...ks.map((k) => `${k} pairs`)],
    ...metrics.map((m) => [m.id, ...m.detectable.map(describeMde)]),
    ...metrics.map((m) => [
      `${m.id}: A/A pass`,
      ...m.detectable.map((d) => (d.canDecide ? `${(d.aaPassRate * 100).toFixed(0)} %` : '—')),
    ]),
  ]);
  return [
    '',
    `  █ CALIBRATION  ${outcome.session.completedRounds} rounds of A, A′, S; ${JSON.stringify(settings)}`,
    `    ${outcome.slowdownNote}`,
    '',
    ...first,
    '',
    ...second,
    `    simulated from ${outcome.session.completedRounds} A/A pairs (2,000 bootstrap draws each), power ${(settings.power * 100).toFixed(0)} %${outcome.session.completedRounds < 8 ? '; fewer than 8 pairs of noise: a rough estimate' : ''}`,
    '',
    `    A/A: ${outcome.aa ? outcome.aa.verdict.headline : 'no complete round'}`,
    `    A vs S: ${outcome.slowed ? outcome.slowed.verdict.headline : 'no complete round'}`,
    '',
  ].join('\n');
}

export async function runCalibrate(input: CalibrateInput): Promise<CalibrateOutcome> {
  const alpha = input.alpha ?? COMPARISON_DEFAULTS.alpha;
  const effect = input.effect ?? COMPARISON_DEFAULTS.effect;
  const power = input.power ?? DEFAULT_POWER;
  if (!Number.isInteger(input.pairs) || input.pairs < 1 || input.pairs > 1000) {
    throw new UserError(`--pairs ${input.pairs}: expected a whole number from 1 to 1000, e.g. 8`);
  }
  if (!(power > 0 && power < 1))
    throw new UserError(`--power ${power}: expected a fraction between 0 and 1, e.g. 0.95`);
  // The slowdown is a scenario option: checked now (with a stand-in value when it is a percentage).
  const probe = input.slowdown.kind === 'ms' ? input.slowdown.ms : 1;
  const plan = await loadPlan(input.file, { overrides: [...input.overrides, slowdownOverride(probe)], report: false });
  if (plan.driver !== 'websocket') {
    throw new UserError(
      `calibrate injects a publication slowdown: ${input.file} is a push scenario; use a WebSocket one`,
    );
  }

  let slowdownMs = input.slowdown.kind === 'ms' ? input.slowdown.ms : 0;
  let slowdownNote = `slowdown ${slowdownMs} ms per publication`;
  const slowed: InterleavedArm = {
    label: 'S',
    overrides: () => {
      if (slowdownMs <= 0) throw new Error('the slowdown is not known yet: the first A run comes before S');
      return [slowdownOverride(slowdownMs)];
    },
    env: {},
  };
  const arms: InterleavedArm[] = [
    { label: 'A', overrides: [], env: {} },
    { label: 'A′', overrides: [], env: {} },
    slowed,
  ];
  const dir = path.join(resultsRoot(), `calibrate-${newRunId()}`);
  mkdirSync(dir, { recursive: true });
  log.info('calibrate', `${input.pairs} rounds of A, A′, S (rotating) of ${input.file} → ${dir}`);
  const session = await runInterleaved({
    file: input.file,
    overrides: input.overrides,
    arms,
    rounds: input.pairs,
    signal: input.signal,
    setup: input.setup,
    logArea: 'calibrate',
    onRun: (run) => {
      if (input.slowdown.kind !== 'percent' || slowdownMs > 0 || run.label !== 'A') return;
      const p50 = run.values.values['delivery_latency p50'];
      if (p50 == null) {
        throw new UserError(
          `the first A run (${run.runId}) measured no delivery latency, so ${pct(input.slowdown.fraction)} cannot be converted; pass --slowdown in ms`,
        );
      }
      slowdownMs = slowdownMsFromPercent(input.slowdown.fraction, p50);
      slowdownNote = `slowdown ${(input.slowdown.fraction * 100).toFixed(1)} % of the first A run's p50 (${formatMs(p50)}) → ${slowdownMs} ms per publication`;
      log.info('calibrate', slowdownNote);
    },
  });

  const [a, aPrime, s] = session.arms.map((arm) => arm.values) as [RunValues[], RunValues[], RunValues[]];
  const judge = (current: RunValues[]) => {
    if (a.length === 0) return null;
    const comparison = compareRunValues(a, current, { alpha, effect, paired: true });
    return { comparison, verdict: decideComparisonVerdict(comparison, { baseline: a, current }) };
  };
  const aa = judge(aPrime);
  const slowedJudged = judge(s);
  const judged = aa?.comparison.metrics.map((m) => m.id) ?? [];
  const ks = [...new Set([input.pairs, ...CALIBRATION_PAIRS])].sort((x, y) => x - y);
  const metrics: MetricCalibration[] = RUN_METRICS.filter((spec) => judged.includes(spec.id)).map((spec) => {
    const ratios = logRatios(spec.id, a, aPrime);
    const sd = standardDeviation(ratios);
    const medianAbs = median(ratios.map(Math.abs));
    const worse = ratios.map((r) => (spec.better === 'lower' ? r : -r));
    const baseMedian = median(a.map((run) => run.values[spec.id]).filter((v): v is number => v != null));
    return {
      id: spec.id,
      aaLogRatios: ratios,
      noiseSdPercent: sd === null ? null : sd * 100,
      noiseMedianAbsPercent: medianAbs === null ? null : Math.expm1(medianAbs) * 100,
      aa: aa?.comparison.metrics.find((m) => m.id === spec.id) ?? null,
      slowed: slowedJudged?.comparison.metrics.find((m) => m.id === spec.id) ?? null,
      injectedChange: spec.unit === 'ms' && baseMedian ? slowdownMs / baseMedian : null,
      detectable: ks.map((k) =>
        detectableEffect(worse, k, { alpha, metrics: judged.length, effect, power, draws: 2000, seed: 1 }),
      ),
    };
  });

  const settings = { pairs: input.pairs, alpha, effect, power };
  const base = { session, slowdownMs, slowdownNote, aa, slowed: slowedJudged, metrics };
  const text = render(base, settings);
  const invalid = [...a, ...aPrime, ...s].some((run) => !run.valid);
  const exitCode = session.interrupted ? ExitCode.externalAbort : invalid ? ExitCode.invalidRun : ExitCode.ok;
  const files = { json: path.join(dir, 'calibration.json'), markdown: path.join(dir, 'calibration.md') };
  const record = {
    kind: 'calibrate',
    scenario: { file: input.file, name: plan.scenario.name },
    settings: { ...settings, overrides: input.overrides, slowdown: input.slowdown, slowdownMs, slowdownNote },
    runs: session.order.map((run) => ({ round: run.round, label: run.label, runId: run.runId, dir: run.dir })),
    completedRounds: session.completedRounds,
    interrupted: session.interrupted,
    metrics,
    aa,
    slowed: slowedJudged,
  };
  writeFileSync(files.json, redact(`${JSON.stringify(record, null, 2)}\n`));
  writeFileSync(
    files.markdown,
    redact(
      [
        `# Calibration of this runner: ${plan.scenario.name}`,
        '',
        `${session.completedRounds} rounds of A, A′ (identical) and S (slowed down), interleaved in rotating order; α ${alpha}, effect size ${(effect * 100).toFixed(1)} %, power ${power}.`,
        '',
        '```',
        text.trim(),
        '```',
        '',
      ].join('\n'),
    ),
  );
  return { dir, files, ...base, exitCode, text };
}
