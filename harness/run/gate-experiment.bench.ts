/**
 * The gate's own experiment: how often does the documented CI recipe (k interleaved pairs, run-level
 * statistics) call identical builds a regression, and how often does it catch a known slowdown?
 *
 *   node --import tsx harness/run/gate-experiment.bench.ts                 # 160 rounds, then judged
 *   ROUNDS=40 PAIRS=8 SLOWDOWNS=15,5 node --import tsx harness/run/gate-experiment.bench.ts
 *   node --import tsx harness/run/gate-experiment.bench.ts judge results/gate-experiment-<id>
 *   JUDGE_PAIRS=12 node --import tsx harness/run/gate-experiment.bench.ts judge results/gate-experiment-<id>
 *
 * Four arms run interleaved round after round on this machine (runInterleaved, the engine of `ab`):
 * A and A′ are the same scenario; S15 and S5 are the same with `workload.publishers.slowdown` set to
 * 15 % and 5 % of A's p50 delivery latency (measured by three pilot runs first). Every block of PAIRS
 * consecutive rounds gives three disjoint-within-type decisions, judged exactly as `ab` judges:
 *   A/A      A vs A′    (identical: a "regression" here is a false alarm)
 *   A/B+15%  A vs S15   (must say regression)
 *   A/B+5%   A′ vs S5   (must never say pass)
 * Progress is saved after every round (rounds.ndjson), so `judge` works on a partial session too, and
 * `resume <dir>` goes on where a session stopped (a harness error ends a session: a service crashed);
 * `ROUNDS=240 … resume <dir>` extends a finished experiment to more rounds, with its recorded settings;
 * `CHUNK=10 … resume <dir>` runs at most 10 more rounds (take turns with other benchmarks on one machine).
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { median } from '../common/median.ts';
import { newRunId, resultsRoot } from '../common/run-id.ts';
import {
  compareRunValues,
  decideComparisonVerdict,
  type RunValues,
  readRunValues,
  renderComparisonMarkdown,
} from '../gate/index.ts';
import { runInterleaved } from './interleave.ts';

const scenario = process.env.SCENARIO ?? 'scenarios/smoke.ts';
const shared = (
  process.env.SET ?? 'workload.publishers.duration=5s,workload.drain=1s,workload.subscribers.connectRate=3000'
)
  .split(',')
  .filter(Boolean);
const rounds = Number(process.env.ROUNDS ?? 160);
const pairs = Number(process.env.PAIRS ?? 8);
const slowdowns = (process.env.SLOWDOWNS ?? '15,5').split(',').map(Number);

interface RoundLine {
  round: number;
  runs: Array<{ label: string; runId: string; dir: string }>;
}

interface Setup {
  scenario: string;
  /** The overrides every arm shares; a resumed session uses the recorded ones, not today's SET. */
  shared: string[];
  pairs: number;
  slowdowns: number[];
  slowdownMs: number[];
  pilotP50Ms: number;
  rounds: number;
  arms: Array<{ label: string; overrides: string[]; env: Record<string, string> }>;
}

function roundsDone(dir: string): number {
  try {
    return readFileSync(path.join(dir, 'rounds.ndjson'), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

async function session(dir: string, setup: Setup, signal: AbortSignal): Promise<void> {
  const done = roundsDone(dir);
  await runInterleaved({
    file: setup.scenario,
    overrides: setup.shared,
    arms: setup.arms,
    // CHUNK=n stops after n more rounds, so a long experiment can share a benchmark lock in turns.
    rounds: Math.min(setup.rounds - done, Number(process.env.CHUNK ?? Number.POSITIVE_INFINITY)),
    // A resumed session keeps the rotation where it stopped.
    rotationStart: done,
    signal,
    setup: true,
    logArea: 'experiment',
    onRound: (round, soFar) => {
      const line: RoundLine = {
        round: done + round,
        runs: soFar.order
          .filter((run) => run.round === round)
          .map((run) => ({ label: run.label, runId: run.runId, dir: run.dir })),
      };
      appendFileSync(path.join(dir, 'rounds.ndjson'), `${JSON.stringify(line)}\n`);
    },
  });
}

async function resume(dir: string): Promise<string> {
  const setup = JSON.parse(readFileSync(path.join(dir, 'experiment.json'), 'utf8')) as Setup;
  // ROUNDS above the recorded count extends a finished experiment (more decisions at a larger JUDGE_PAIRS).
  if (process.env.ROUNDS && rounds > setup.rounds) {
    setup.rounds = rounds;
    writeFileSync(path.join(dir, 'experiment.json'), `${JSON.stringify(setup, null, 2)}\n`);
  }
  const signal = new AbortController();
  process.once('SIGINT', () => signal.abort());
  await session(dir, setup, signal.signal);
  return dir;
}

async function collect(): Promise<string> {
  const dir = path.join(resultsRoot(), `gate-experiment-${newRunId()}`);
  mkdirSync(dir, { recursive: true });
  const signal = new AbortController();
  process.once('SIGINT', () => signal.abort());

  const pilot = await runInterleaved({
    file: scenario,
    overrides: shared,
    arms: [{ label: 'pilot', overrides: [], env: {} }],
    rounds: 3,
    signal: signal.signal,
    setup: true,
    logArea: 'pilot',
  });
  const p50 = median(pilot.arms[0]!.values.map((v) => v.values['delivery_latency p50']!))!;
  const slowdownMs = slowdowns.map((pct) => Math.max(0.1, Math.round((p50 * pct) / 100 / 0.1) * 0.1));
  const arms = [
    { label: 'A', overrides: [], env: {} },
    { label: 'A′', overrides: [], env: {} },
    ...slowdowns.map((pct, i) => ({
      label: `S${pct}`,
      overrides: [`workload.publishers.slowdown=${slowdownMs[i]!.toFixed(1)}ms`],
      env: {},
    })),
  ];
  writeFileSync(
    path.join(dir, 'experiment.json'),
    `${JSON.stringify({ scenario, shared, rounds, pairs, pilotP50Ms: p50, slowdowns, slowdownMs, arms, startedAt: new Date().toISOString() }, null, 2)}\n`,
  );
  await session(dir, { scenario, shared, pairs, slowdowns, slowdownMs, pilotP50Ms: p50, rounds, arms }, signal.signal);
  return dir;
}

async function judge(dir: string): Promise<void> {
  const setup = JSON.parse(readFileSync(path.join(dir, 'experiment.json'), 'utf8')) as Setup;
  // The same runs cut into blocks of another size (JUDGE_PAIRS=12): what more pairs per decision would give.
  if (process.env.JUDGE_PAIRS) setup.pairs = Number(process.env.JUDGE_PAIRS);
  const lines = readFileSync(path.join(dir, 'rounds.ndjson'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RoundLine);
  const byLabel = new Map<string, RunValues[]>();
  for (const line of lines) {
    for (const run of line.runs) {
      const list = byLabel.get(run.label) ?? [];
      list.push(await readRunValues(run.dir));
      byLabel.set(run.label, list);
    }
  }
  const types = [
    { name: 'A/A', baseline: 'A', candidate: 'A′' },
    ...setup.slowdowns.map((pct, i) => ({
      name: `A/B +${pct} % (${setup.slowdownMs[i]!.toFixed(1)} ms)`,
      baseline: i % 2 === 0 ? 'A' : 'A′',
      candidate: `S${pct}`,
    })),
  ];
  const blocks = Math.floor(lines.length / setup.pairs);
  const out: string[] = [
    `# Gate experiment: ${lines.length} rounds, ${blocks} decisions per type of ${setup.pairs} interleaved pairs`,
    '',
    `Pilot p50 ${setup.pilotP50Ms.toFixed(2)} ms. Verdicts as \`ab\` gives them (α 0.05 over the metrics, effect 5 %).`,
    '',
    '| decision | regression | inconclusive | pass | invalid | median measured p50 change |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  const details: string[] = [];
  for (const type of types) {
    const counts = { failed: 0, inconclusive: 0, passed: 0, invalid: 0 } as Record<string, number>;
    const changes: number[] = [];
    for (let block = 0; block < blocks; block++) {
      const slice = (label: string) => byLabel.get(label)!.slice(block * setup.pairs, (block + 1) * setup.pairs);
      const baseline = slice(type.baseline);
      const current = slice(type.candidate);
      const comparison = compareRunValues(baseline, current, { paired: true });
      const verdict = decideComparisonVerdict(comparison, { baseline, current });
      counts[verdict.status] = (counts[verdict.status] ?? 0) + 1;
      const p50 = comparison.metrics.find((m) => m.id === 'delivery_latency p50');
      if (p50?.change) changes.push(p50.change.estimate);
      details.push(`## ${type.name}, decision ${block + 1}`, '', renderComparisonMarkdown(comparison, verdict));
    }
    out.push(
      `| ${type.name} | ${counts.failed} | ${counts.inconclusive} | ${counts.passed} | ${counts.invalid} | ${changes.length ? `${(median(changes)! * 100).toFixed(1)} %` : '—'} |`,
    );
  }
  const text = `${out.join('\n')}\n\n${details.join('\n')}`;
  writeFileSync(path.join(dir, 'experiment.md'), text);
  process.stdout.write(`${out.join('\n')}\n\n  details: ${path.join(dir, 'experiment.md')}\n`);
}

if (process.argv[2] === 'judge') await judge(process.argv[3] ?? '');
else if (process.argv[2] === 'resume') await judge(await resume(process.argv[3] ?? ''));
else await judge(await collect());
