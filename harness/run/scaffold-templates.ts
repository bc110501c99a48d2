/**
 * What `centrifugo-bench init` writes into a user's repository, like `k6 new`: one small scenario that is
 * valid as written, a folder for baselines and a GitHub Actions workflow. Every template is here, in one
 * place; scaffold.ts decides where they go and writes them.
 */

/** Where each file goes, relative to the folder `init` scaffolds. The workflow refers to the other two. */
export const SCAFFOLD_FILES = {
  scenario: 'scenarios/smoke.mts',
  baselinesReadme: 'baselines/README.md',
  workflow: '.github/workflows/bench.yml',
} as const;

/** The scenario's name (its `name` field): baselines are stored per scenario name. */
const SCENARIO_NAME = 'smoke';
/** The baselines folder; `gate --baselines-dir` and `baseline save --dir` default to it too. */
const BASELINES_DIR = 'baselines';
/** The baseline the workflow saves on main and gates against: `<scenario>/<name>` under BASELINES_DIR. */
const BASELINE_REF = `${SCENARIO_NAME}/main`;
/** Runs per side: 8 is the least that can decide the four default metrics at alpha 0.05. */
const RUNS_PER_JOB = 8;

/** How the scenario file gets `defineScenario`. */
export interface ScenarioImport {
  specifier: string;
  /** `package`: the harness is installed in the user's repository; `path`: an absolute path into a clone. */
  from: 'package' | 'path';
}

const IMPORT_NOTE: Record<ScenarioImport['from'], string> = {
  package: '// centrifugo-bench is a devDependency of this repository: `npm ci` installs it, locally and in CI.',
  path: [
    '// This path points into the centrifugo-bench clone on the machine that ran `init`. Once centrifugo-bench is',
    "// a devDependency of this repository (CI needs that), import 'centrifugo-bench/scenarios/lib/scenario.ts'.",
  ].join('\n'),
};

/** A TypeScript string literal in the scenario's quote style. */
const singleQuoted = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

/** A smoke scenario: the whole path in well under a minute, commented so a user sees what to change. */
export function scenarioTemplate(scenarioImport: ScenarioImport): string {
  return `/**
 * A centrifugo-bench scenario, written by \`centrifugo-bench init\`. It starts a Centrifugo on this machine
 * (127.0.0.1 only, torn down after the run), connects a few hundred WebSocket subscribers, broadcasts to all
 * of them ten times a second for 20 s, and accounts for every delivery: latency, loss, duplicates.
 *
 *   npx centrifugo-bench run ${SCAFFOLD_FILES.scenario}
 *   npx centrifugo-bench run ${SCAFFOLD_FILES.scenario} --set workload.publishers.rate=50   # any field, per run
 *
 * The scenario is validated before anything starts: a misspelt or out-of-range field is named, exit 2.
 * Scenario files are ES modules, hence \`.mts\` (\`.ts\` works beside a package.json with "type": "module").
 */
${IMPORT_NOTE[scenarioImport.from]}
import { defineScenario } from ${singleQuoted(scenarioImport.specifier)};

export default defineScenario({
  // Names the run in its summary, report and dashboards.
  name: 'smoke',
  description: '300 subscribers, 10 broadcasts/s to every personal channel for 20 s, memory engine, one node',
  // The stack the harness starts: engine 'memory' needs nothing but Centrifugo; 'redis' or 'nats' (needed
  // for nodes > 1) also start a Redis or a NATS. provider: 'external' runs against a stack you started.
  stack: { provider: 'local', engine: 'memory', nodes: 1 },
  workload: {
    // One WebSocket connection per subscriber, each on its own personal channel, connected at 300/s.
    subscribers: { count: 300, connectRate: 300 },
    // k6's executors and options. constant-arrival-rate is an open model: \`rate\` iterations per \`timeUnit\`
    // are due whatever the latency, and latency counts from when each was due. One iteration is one
    // broadcast to every subscriber's channel.
    publishers: {
      executor: 'constant-arrival-rate',
      target: 'centrifugo-broadcast', // Centrifugo's HTTP broadcast API; the harness README lists the others
      rate: 10,
      timeUnit: '1s',
      duration: '20s',
      preAllocatedVUs: 5,
      maxVUs: 20,
      payloadBytes: 128,
    },
    // How long to wait after the last publication before an undelivered message counts as lost.
    drain: '3s',
  },
  // k6 thresholds: one that fails makes \`run\` (and \`gate\`) exit 99, which fails the CI job.
  thresholds: {
    delivery_latency: ['p(99)<250'], // ms, from the intended send time to the frame's arrival
    connect_duration: ['p(95)<1000'],
    messages_lost: ['count==0'],
    messages_duplicated: ['count==0'],
    dropped_iterations: ['count==0'], // publications the generator could not send on time
  },
});
`;
}

/** What the baselines folder holds and how it fills: `baseline save` from CI, `gate --baseline` reads it. */
export function baselinesReadmeTemplate(): string {
  return `# Baselines

What \`gate\` compares new runs with, so that it can tell a regression from noise. The workflow
(\`${SCAFFOLD_FILES.workflow}\`) fills this folder on every push to main and gates every pull request
against it. Commit it: it is small, and its history is what shows when a number shifted.

## What is stored

\`${BASELINES_DIR}/<scenario>/<name>/\`, one folder per scenario (its \`name\` field) and baseline name:

- \`history.ndjson\`: every saved entry, one JSON line each, append-only, oldest first;
- \`current.json\`: the entry \`gate --baseline\` compares with.

An entry is k runs of one build on one kind of machine, reduced to **values per run** (delivery latency
p50 / p99 / mean, messages delivered per second, …) with what the runs measured (scenario, publish target,
stack shape, workload), the host fingerprint (CPU model, cores, memory, OS, architecture), the git commit and
the component versions. Whole run folders are not kept: \`results/\` stays out of git.

## Saving one

From runs on the same kind of machine as the runs it will judge — for CI, from CI runs on the same runner
type: \`gate\` refuses a baseline whose host fingerprint differs from the runs' (exit 2, naming the
difference). The workflow does this after every push to main:

\`\`\`sh
for i in $(seq ${RUNS_PER_JOB}); do CENTRIFUGO_BENCH_RESULTS=results/runs/$i npx centrifugo-bench run ${SCAFFOLD_FILES.scenario}; done
npx centrifugo-bench baseline save results/runs/*/*/ --name main --dir ${BASELINES_DIR}
\`\`\`

The new entry becomes current (\`--no-promote\` keeps it in the history only). Judge runs against it:

\`\`\`sh
npx centrifugo-bench gate results/runs/*/*/ --baseline ${BASELINE_REF} --baselines-dir ${BASELINES_DIR}
\`\`\`

k runs per side, not one: the variation that dominates on a shared machine is between runs, so \`gate\`
compares run-level values with a confidence interval. Exit 0 pass, 99 regression or a failed threshold,
**4 inconclusive** (the interval is too wide to decide at \`--effect\`, default 5 %: more runs, a larger
effect or a quieter runner — never read it as a pass), 3 invalid run, 2 bad input. One run against a
one-run baseline is always inconclusive.

## History and change points

\`\`\`sh
npx centrifugo-bench baseline list --dir ${BASELINES_DIR}
npx centrifugo-bench baseline show ${BASELINE_REF} --dir ${BASELINES_DIR}
\`\`\`

\`show\` prints the current entry (each run's values and the medians), the history, and — from 8 entries
on — the change points per metric (E-divisive means, as MongoDB's performance CI and Hunter do): the first
entry where a shift began, its commit, the values before and after.

## Promoting

After a reviewed change that moves the numbers on purpose, or to go back to an earlier entry:

\`\`\`sh
npx centrifugo-bench baseline promote <entry-id> --dir ${BASELINES_DIR}
\`\`\`

## What is refused

\`gate\` exits 2 and names the difference when the baseline measured something else: another scenario,
publish target, stack shape (provider, engine, nodes, services) or workload (subscribers, publishers,
drain, faults, …), or another kind of machine (\`--any-host\` compares anyway; the numbers are rarely
comparable). \`baseline save\` refuses invalid runs, runs that are not one build on one machine, and runs of
a changed scenario under a name that holds another shape: a changed scenario starts a new history under
another \`--name\`. Component versions and Centrifugo's settings are not part of what must match: they are
what a comparison exists to test.
`;
}

/**
 * A GitHub Actions workflow: k runs of the scenario on a hosted Ubuntu runner, gated against the stored
 * baseline; on main, the runs are saved as the next baseline entry by a second job with write access.
 */
export function workflowTemplate(): string {
  return `# Load test on every pull request and every push to main, written by \`centrifugo-bench init\`.
# It runs ${SCAFFOLD_FILES.scenario} ${RUNS_PER_JOB} times against a stack the harness starts on the runner (127.0.0.1
# only), gates the runs (thresholds, and the stored baseline ${BASELINE_REF} in ${BASELINES_DIR}/ once there is
# one) and keeps results/. On main, a second job saves the runs as the next baseline entry and commits it.
#
# Why ${RUNS_PER_JOB} runs: on a shared runner the variation that dominates is between runs (a neighbour wakes up),
# not between the seconds of one run, so the gate compares run-level values with a confidence interval;
# ${RUNS_PER_JOB} runs is the least that can decide the four default metrics at alpha 0.05.
# Exit 4 is "inconclusive": the interval is too wide to tell the --effect (default 5 %) from noise. It fails the
# job on purpose (never a silent pass); answer it with more runs, a larger --effect, or a quieter/larger runner.
# \`npx centrifugo-bench calibrate ${SCAFFOLD_FILES.scenario}\`, run once on this runner type, tells which
# slowdown this runner can detect.
#
# Comparing two builds (e.g. your Centrifugo fork's base and head), run them interleaved on one runner
# instead — the recommended recipe when there is a second build, since drift then hits both sides alike:
#   npx centrifugo-bench ab ${SCAFFOLD_FILES.scenario} --pairs 12 \\
#     --a-env CENTRIFUGO_BENCH_CENTRIFUGO=/path/to/base/centrifugo --b-env CENTRIFUGO_BENCH_CENTRIFUGO=/path/to/head/centrifugo \\
#     --junit results/junit.xml --markdown "$GITHUB_STEP_SUMMARY"
#
# What the runner needs:
# - Node.js >= 20.19 and centrifugo-bench as a devDependency of this repository (npm ci installs it);
# - Go, to build the pinned Centrifugo from its Go module once; the build is cached between workflow runs;
# - for scenarios that use them, PostgreSQL, Redis, NATS or ClickHouse: \`run\` installs the ones the scenario
#   needs with apt-get, as root or through passwordless sudo (GitHub's Ubuntu runners have it).
#   \`npx centrifugo-bench setup\` would install every service up front; \`doctor\` lists what is there.
# A baseline is refused (exit 2) by runs from another kind of machine (CPU model, cores, memory): hosted
# runners of one label can come with different CPUs; a larger or self-hosted runner of a fixed type avoids it.
name: bench

on:
  push:
    branches: [main]
  pull_request:
  workflow_dispatch:

permissions:
  contents: read

jobs:
  bench:
    runs-on: ubuntu-latest
    timeout-minutes: 45
    outputs:
      gate-exit-code: \${{ steps.gate.outputs.exit-code }}
    steps:
      - uses: actions/checkout@v4

      - uses: actions/setup-node@v4
        with:
          node-version: 20
          cache: npm

      - name: Set up Go (builds Centrifugo once)
        uses: actions/setup-go@v5
        with:
          go-version: stable
          cache: false

      - name: Cache the Centrifugo build
        uses: actions/cache@v4
        with:
          path: ~/.cache/centrifugo-bench/tools
          key: centrifugo-bench-tools-\${{ runner.os }}-\${{ hashFiles('package-lock.json') }}

      - run: npm ci

      # Each run writes into its own results folder (CENTRIFUGO_BENCH_RESULTS), so results/runs/*/*/ is
      # exactly this job's run directories. A run that fails a threshold (99) or is invalid (3) is kept: the
      # gate judges it. Anything else (2 bad input, 1 harness error) stops the job.
      - name: Run ${SCAFFOLD_FILES.scenario} ${RUNS_PER_JOB} times
        run: |
          for i in $(seq ${RUNS_PER_JOB}); do
            code=0
            CENTRIFUGO_BENCH_RESULTS="results/runs/$i" npx centrifugo-bench run ${SCAFFOLD_FILES.scenario} || code=$?
            case $code in 0 | 3 | 99) ;; *) exit "$code" ;; esac
          done

      # Runs even when a run failed, so that the job summary says why. Against the stored baseline when
      # there is one, else thresholds only. Exit 0 pass, 99 regression or failed threshold, 4 inconclusive,
      # 3 invalid run, 2 bad input (e.g. a baseline of another scenario shape or machine, named).
      - name: Gate
        id: gate
        if: \${{ !cancelled() && hashFiles('results/runs/*/*/summary.json') != '' }}
        run: |
          baseline=()
          if [ -f ${BASELINES_DIR}/${BASELINE_REF}/current.json ]; then
            baseline=(--baseline ${BASELINE_REF} --baselines-dir ${BASELINES_DIR})
          fi
          code=0
          npx centrifugo-bench gate results/runs/*/*/ "\${baseline[@]}" --junit results/junit.xml --markdown "$GITHUB_STEP_SUMMARY" || code=$?
          echo "exit-code=$code" >> "$GITHUB_OUTPUT"
          exit "$code"

      - name: Keep the results
        if: \${{ !cancelled() }}
        uses: actions/upload-artifact@v4
        with:
          name: bench-results
          path: results/
          if-no-files-found: ignore

  # On main only: the runs become the next entry of ${BASELINE_REF}, committed to ${BASELINES_DIR}/. A job of its
  # own because it needs contents: write to push, and the bench job runs a pull request's code, which must
  # not hold a token that can push. Commits made with GITHUB_TOKEN start no new workflow run.
  save-baseline:
    needs: bench
    if: \${{ !cancelled() && github.event_name == 'push' && github.ref == 'refs/heads/main' }}
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      contents: write
    # One save at a time: entries are appended to history.ndjson in the order of the pushes.
    concurrency:
      group: bench-save-baseline
      cancel-in-progress: false
    steps:
      - uses: actions/checkout@v4

      - uses: actions/setup-node@v4
        with:
          node-version: 20
          cache: npm

      - run: npm ci

      - uses: actions/download-artifact@v4
        with:
          name: bench-results
          path: results/

      # Every passing entry becomes current. A regression (99) or an inconclusive gate (4) is saved to the
      # history only (--no-promote): change-point detection sees it, and a person decides with
      # \`baseline promote\`. Invalid runs (3) are not saved.
      - name: Save the runs as a baseline entry
        env:
          GATE_EXIT_CODE: \${{ needs.bench.outputs.gate-exit-code }}
        run: |
          case "$GATE_EXIT_CODE" in
            0) promote=() ;;
            4 | 99) promote=(--no-promote) ;;
            *) echo "gate exited '$GATE_EXIT_CODE': nothing saved"; exit 0 ;;
          esac
          npx centrifugo-bench baseline save results/runs/*/*/ --name main --dir ${BASELINES_DIR} "\${promote[@]}"
          { echo '\`\`\`'; npx centrifugo-bench baseline show ${BASELINE_REF} --dir ${BASELINES_DIR}; echo '\`\`\`'; } >> "$GITHUB_STEP_SUMMARY"

      - name: Commit ${BASELINES_DIR}/
        run: |
          git config user.name 'github-actions[bot]'
          git config user.email '41898282+github-actions[bot]@users.noreply.github.com'
          git add ${BASELINES_DIR}
          git diff --cached --quiet && exit 0
          git commit -m "${BASELINES_DIR}: ${BASELINE_REF} from \${GITHUB_SHA::10}"
          git pull --rebase
          git push
`;
}
