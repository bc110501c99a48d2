/**
 * The architecture, as rules a machine checks (dependency-cruiser): `npm run imports` prints every
 * violation, and harness/architecture.test.ts fails `npm test` on one. harness/README.md draws the same
 * picture for people.
 *
 * Data flows left to right, and so do imports — a module knows its downstream neighbours, never the ones
 * upstream:
 *
 *   cli ─▶ run ─▶ stack ─▶ sut            (stack starts the system under test)
 *           ├──▶ seed ─▶ sut, engine      (the app's schema; the engine's audience type)
 *           ├──▶ engine                   (load drivers: WebSocket engine, push flood)
 *           ├──▶ gate ─▶ results          (thresholds, baselines, verdict; summaries)
 *           └──▶ results                  (files, ClickHouse, HTML report)
 *   everything ─▶ common                  (plain shared types and helpers; it imports nothing)
 *
 * Three more rules: no import cycles anywhere; code outside a module folder imports its `index.ts`
 * only (its surface), or its `testing.ts` / `testing/` from tests; and tests, benches and testing
 * helpers may reach across layers (they assemble what they test) but not around an index.
 */

/** Module folders: harness/<name>/, and the sub-modules of results/ and sut/, each with an index.ts. */
const MODULE = '^harness/(results/[^/]+|sut/[^/]+|[^/]+)/';
/** Files that exist to test: exempt from the layer rules (not from cycles and surfaces). */
const TESTS = ['\\.test\\.ts$', '\\.bench\\.ts$', '/testing(\\.ts$|/)', 'micro-bench\\.ts$'];

/** What each layer may import besides itself and harness/common. The order of this table is the flow. */
const MAY_IMPORT = {
  'harness/cli': [
    'harness/run',
    'harness/stack',
    'harness/results',
    'harness/gate',
    'harness/sut/push-sink',
    'harness/distributed',
  ],
  'harness/run': [
    'harness/stack',
    'harness/seed',
    'harness/engine',
    'harness/gate',
    'harness/results',
    'harness/distributed',
    'scenarios/lib',
  ],
  'harness/stack': ['harness/sut'],
  'harness/seed': ['harness/sut', 'harness/engine'],
  'harness/engine': [],
  'harness/gate': ['harness/results'],
  'harness/results': [],
  'harness/distributed': [],
  'harness/sut': [],
  'harness/common': [],
  'scenarios/lib': ['harness/engine', 'harness/gate', 'harness/seed', 'harness/stack', 'harness/distributed'],
  scenarios: ['scenarios/lib'],
  dashboards: ['harness/results'],
};

const asRegex = (text) => text.replace(/[/.]/g, (c) => `\\${c}`);

const layerRules = Object.entries(MAY_IMPORT).map(([layer, allowed]) => ({
  name: `${layer.replace(/\//g, '-')}-imports-downstream-only`,
  comment:
    layer === 'harness/common'
      ? 'harness/common is the shared leaf: it imports no other part of the harness.'
      : `${layer} may import ${[...allowed, 'harness/common'].join(', ')} — nothing upstream of it.`,
  severity: 'error',
  from: {
    path: `^${asRegex(layer)}/`,
    pathNot: [...TESTS, ...(layer === 'scenarios' ? ['^scenarios/lib/'] : [])],
  },
  to: {
    path: '^(harness|scenarios|dashboards)/',
    pathNot: [layer, ...allowed, ...(layer === 'harness/common' ? [] : ['harness/common'])].map(
      (allowedLayer) => `^${asRegex(allowedLayer)}/`,
    ),
  },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'An import cycle makes two modules one: neither can change, load or be tested alone.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'nothing-imports-cli',
      comment: 'The CLI parses arguments, prints and maps errors to exit codes; nothing builds on it.',
      severity: 'error',
      from: { pathNot: '^harness/cli/' },
      to: { path: '^harness/cli/' },
    },
    ...layerRules,
    {
      name: 'harness-modules-through-their-index',
      comment:
        "Code outside a module folder imports the folder's index.ts (its surface) — or, from tests, its testing.ts / testing/.",
      severity: 'error',
      from: { path: MODULE },
      to: {
        path: MODULE,
        pathNot: ['^harness/$1/', '^harness/common/', `${MODULE}index\\.ts$`, `${MODULE}testing(\\.ts$|/)`],
      },
    },
    {
      name: 'scenarios-and-dashboards-through-the-index',
      comment: "Scenarios and dashboards use the harness's module surfaces (index.ts) like any other neighbour.",
      severity: 'error',
      from: { path: '^(scenarios|dashboards)/' },
      to: {
        path: MODULE,
        pathNot: ['^harness/common/', `${MODULE}index\\.ts$`, `${MODULE}testing(\\.ts$|/)`],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '/vendor/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
