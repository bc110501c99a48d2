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

/** The baseline the workflow compares with, when the user has saved one. */
const BASELINE_DIR = 'baselines/smoke';

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

/** What the baselines folder is for: run directories `gate --baseline` compares new runs with. */
export function baselinesReadmeTemplate(): string {
  return `# Baselines

A baseline is the run directory of a run you trust, kept in the repository so that \`gate\` can tell a
regression from noise. The workflow (\`${SCAFFOLD_FILES.workflow}\`) compares every run of
\`${SCAFFOLD_FILES.scenario}\` with \`${BASELINE_DIR}\` once that folder exists.

Save one — from a run on the same kind of machine as the runs it will judge (for CI, download the
\`bench-results\` artifact of a green workflow run):

\`\`\`sh
npx centrifugo-bench run ${SCAFFOLD_FILES.scenario}
cp -r results/<run-id> ${BASELINE_DIR}
\`\`\`

Judge a run against it yourself:

\`\`\`sh
npx centrifugo-bench gate results/<run-id> --baseline ${BASELINE_DIR}
\`\`\`

\`gate --baseline\` re-evaluates the run's thresholds, then compares per-second samples of the two runs
(delivery latency p99 and mean, messages delivered per second, …) with a two-sided Mann-Whitney U test. A
series regresses only when it is worse, the difference is significant (\`--alpha\`, default 0.05) and larger
than the tolerance (\`--tolerance\`, default 5 %): then \`gate\` exits 99. A baseline marked invalid is refused
(exit 2). Compare runs of the same scenario, taken the same way.

\`gate\` reads a baseline's \`summary.json\`, \`timeseries.ndjson\`, \`histograms/\` and \`run.json\`; \`logs/\`
and \`report.html\` can go, to keep the repository small.
`;
}

/** A GitHub Actions workflow: run the scenario on a hosted Ubuntu runner, gate it, keep the results. */
export function workflowTemplate(): string {
  return `# Load test on every push to main and every pull request, written by \`centrifugo-bench init\`.
# It runs ${SCAFFOLD_FILES.scenario} against a stack the harness starts on the runner (127.0.0.1 only),
# judges the run (thresholds, and the baseline in ${BASELINE_DIR} when there is one) and keeps results/.
#
# What the runner needs:
# - Node.js >= 20.19 and centrifugo-bench as a devDependency of this repository (npm ci installs it);
# - Go, to build the pinned Centrifugo from its Go module once; the build is cached between workflow runs;
# - for scenarios that use them, PostgreSQL, Redis, NATS or ClickHouse: \`run\` installs the ones the scenario
#   needs with apt-get, as root or through passwordless sudo (GitHub's Ubuntu runners have it).
#   \`npx centrifugo-bench setup\` would install every service up front; \`doctor\` lists what is there.
# Shared runners are noisy neighbours: gate against a baseline taken on the same kind of runner.
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
    timeout-minutes: 30
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

      # Exits 99 when a threshold fails and 3 when the measurement is invalid (the generator saturated).
      - name: Run ${SCAFFOLD_FILES.scenario}
        run: npx centrifugo-bench run ${SCAFFOLD_FILES.scenario}

      # Runs even when the run failed, so that the job summary says why.
      - name: Gate
        if: \${{ !cancelled() && hashFiles('results/*/summary.json') != '' }}
        run: |
          run_dir=$(ls -d results/*/ | sort | tail -n 1)
          baseline=()
          if [ -d ${BASELINE_DIR} ]; then baseline=(--baseline ${BASELINE_DIR}); fi
          npx centrifugo-bench gate "$run_dir" "\${baseline[@]}" --junit results/junit.xml --markdown "$GITHUB_STEP_SUMMARY"

      - name: Keep the results
        if: \${{ !cancelled() }}
        uses: actions/upload-artifact@v4
        with:
          name: bench-results
          path: results/
          if-no-files-found: ignore
`;
}
