/**
 * The edge of a run: a scenario file (plus `--set` overrides and the command's options) becomes one
 * frozen, typed RunPlan. Everything a run decides before it starts is decided here, once: the scenario is
 * parsed and validated (every failure is exit 2, naming the field), the stack gets the services the
 * scenario needs (PostgreSQL for a dataset, ClickHouse for live results), the driver is chosen, and the
 * outputs are selected. Nothing downstream parses the scenario again or changes it: the plan is deeply
 * frozen, so a layer that tries gets a TypeError instead of a silently different run.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Scenario, type ScenarioInput, ScenarioSchema } from '../../scenarios/lib/scenario.ts';
import { deepFreeze } from '../common/deep-freeze.ts';
import { UserError } from '../common/errors.ts';
import { parseOrExplain } from '../common/validation.ts';
import { type Shard, WHOLE_RUN } from '../distributed/index.ts';
import type { ParsedThreshold } from '../gate/index.ts';
import { checkSinkFaultProfile, defaultClickHouseUrl, type StackSpec } from '../stack/index.ts';
import { type OutputSelection, selectOutputs } from './outputs/index.ts';

/** Which load driver runs the scenario: WebSocket subscribers and publishers, or a push flood. */
export type DriverKind = 'websocket' | 'push';

export interface RunPlan {
  /** The scenario file, relative to the working directory when inside it. */
  readonly file: string;
  /** The scenario as written (after --set overrides), recorded in run.json. */
  readonly input: ScenarioInput;
  readonly scenario: Scenario;
  /** The scenario's stack plus what the plan adds (PostgreSQL for a dataset, ClickHouse for live results). */
  readonly stack: StackSpec;
  readonly driver: DriverKind;
  /** The thresholds to evaluate: the scenario's, or none with --no-thresholds. */
  readonly thresholds: readonly ParsedThreshold[];
  /** Which outputs the run writes to, beside its files. */
  readonly outputs: OutputSelection;
  /** Things the user should know before the run starts (logged as warnings). */
  readonly warnings: readonly string[];
  /** Which shard of a distributed run this process is (`--shard i/n`); shard 0 of 1 otherwise. */
  readonly shard: Shard;
}

export interface PlanOptions {
  /** `--set path=value` overrides, applied before validation. */
  overrides?: readonly string[];
  /** false: like k6 --no-thresholds. */
  thresholds?: boolean;
  /** false: no report.html (--no-report). */
  report?: boolean;
  /** `--out name[=arg]`, like k6's. */
  outs?: readonly string[];
  /** This process's shard of a distributed run (default: the whole run). */
  shard?: Shard;
}

/** Imports a TypeScript scenario file, applies overrides, validates it and plans the run; failures are exit 2. */
export async function loadPlan(file: string, options: PlanOptions = {}): Promise<RunPlan> {
  const resolved = path.resolve(file);
  const input = await importScenario(file, resolved);
  for (const assignment of options.overrides ?? []) applyOverride(input, assignment);
  const scenario = parseOrExplain(ScenarioSchema, input, `scenario ${file}`);
  return planRun({
    file: path.relative(process.cwd(), resolved) || resolved,
    input: input as ScenarioInput,
    scenario,
    options,
  });
}

/** The decisions a parsed scenario implies, checked against each other before anything starts. */
export function planRun(parts: {
  file: string;
  input: ScenarioInput;
  scenario: Scenario;
  options?: PlanOptions;
}): RunPlan {
  const { file, input, scenario, options = {} } = parts;
  const warnings: string[] = [];
  const services = new Set(scenario.stack.services);
  if (scenario.dataset) services.add('postgres');

  const outputs = selectOutputs({
    outs: options.outs ?? [],
    results: scenario.results,
    report: options.report ?? true,
    keptClickHouseUrl: scenario.results.clickhouse === true ? defaultClickHouseUrl() : undefined,
    allowRemoteTargets: scenario.stack.allowRemoteTargets,
  });
  if (outputs.clickhouse?.fromStack && !services.has('clickhouse')) {
    services.add('clickhouse');
    warnings.push(
      "no ClickHouse outlives this run ($CENTRIFUGO_BENCH_CLICKHOUSE_URL unset, no `stack up` stack with one): the stack's own ClickHouse is deleted at teardown; `results load` fills another later",
    );
  }
  const stack: StackSpec = { ...scenario.stack, services: [...services] };
  const driver: DriverKind = scenario.push ? 'push' : 'websocket';
  const shard = options.shard ?? WHOLE_RUN;
  // Shards first: what a shard cannot do has its own, more specific reason.
  if (shard.count > 1) checkShardable(scenario, stack, shard);
  checkStackHasWhatTheRunNeeds(scenario, stack);
  return deepFreeze({
    file,
    input: structuredClone(input),
    scenario,
    stack,
    driver,
    thresholds: options.thresholds === false ? [] : scenario.thresholds,
    outputs,
    warnings,
    shard,
  });
}

/**
 * The scenario's identity for a distributed run: sha256 of the scenario as validated (after --set overrides),
 * so every shard — and the coordinator — can tell whether they run the same thing. Neither the shard nor the
 * path of the stack file (it differs between machines) is part of it.
 */
export function scenarioHash(plan: Pick<RunPlan, 'scenario'>): string {
  // The stack file is where this machine keeps the shared stack's description, not what the run does.
  const { stackFile: _where, ...stack } = plan.scenario.stack;
  return createHash('sha256')
    .update(JSON.stringify({ ...plan.scenario, stack }))
    .digest('hex');
}

/**
 * What a sharded run can split today: a WebSocket workload on synthesized personal or shared channels, or on a
 * seeded dataset's rooms (loaded once, by shard 0: run/seed.ts; each shard publishes its range of the rooms,
 * through Centrifugo's API or the chat app), or a push flood through the reference relay (each shard its range of
 * devices and part of the pushes; run/shard-slice.ts), against a stack every shard reaches (external: `stack up`,
 * or the user's deployment). Everything else is refused up front (exit 2) rather than run wrong.
 */
function checkShardable(scenario: Scenario, stack: StackSpec, shard: Shard): void {
  const refuse = (why: string) => {
    throw new UserError(`--shard: ${why}`);
  };
  // Only the relay's ledger scopes count each shard's pushes apart (another API's ledger is one for everyone).
  if (scenario.push && scenario.push.api !== 'relay')
    refuse(
      `push.api: ${scenario.push.api} cannot be sharded (only the relay's ledger tells shards apart); use api: relay or one process`,
    );
  // Fault steps kill and pause the stack's processes: only the process that started the stack holds them. Shards
  // share an external stack, on which no fault can be injected even by one process (each step fails).
  if (scenario.workload?.faults.length)
    refuse(
      'workload.faults: fault steps need the stack the run starts (provider local or containers); shards share an external stack, which no process can inject faults into; run faults as one process',
    );
  // Shards split a dataset's rooms (the chat app takes room ids), so each needs one (shard-slice.ts `roomShare`).
  const rooms = scenario.dataset?.rooms.length ?? 0;
  if (scenario.dataset && scenario.workload && rooms < shard.count)
    refuse(
      `shards split a dataset's rooms; dataset.rooms has ${rooms} over ${shard.count} shards; use at most ${rooms} shards or add rooms`,
    );
  if (stack.provider !== 'external') {
    refuse(
      'shards must share one stack: start it once (`centrifugo-bench stack up`) and pass --set stack.provider=external --set stack.stackFile=<its file>',
    );
  }
}

/**
 * What the publish target, the dataset and the push flood need from the stack, checked before anything
 * starts: the `chat-app` target needs the chat app and a dataset; the relay API needs the relay and the sink.
 */
function checkStackHasWhatTheRunNeeds(scenario: Scenario, stack: StackSpec): void {
  const target = scenario.workload?.publishers.target;
  if (target === 'chat-app' && !stack.chatApp) {
    throw new UserError(
      'workload.publishers.target: chat-app needs the chat app in the stack; set stack.chatApp: { mode: "api" } (or outbox, api_outbox, redis_stream, nats_jetstream)',
    );
  }
  if (target === 'chat-app' && !scenario.dataset) {
    throw new UserError(
      'workload.publishers.target: chat-app publishes into rooms; give the scenario a dataset: { … }',
    );
  }
  if (scenario.push?.api === 'relay' && !stack.pushRelay) {
    throw new UserError(
      'push.api: relay needs the reference push relay in the stack; set stack.pushRelay: {} and stack.pushSink: {}',
    );
  }
  if (scenario.push?.api === 'relay' && !stack.pushSink) {
    throw new UserError('push: the relay sends to the push sink; set stack.pushSink: {}');
  }
  if (scenario.push && typeof scenario.push.sinkFaults === 'object') checkSinkFaultProfile(scenario.push.sinkFaults);
  // Every fault step acts on the stack's processes, which only a stack the run starts holds; against an
  // external stack each step would fail mid-run (counted as fault_failed_*) instead of being refused now.
  const faults = scenario.workload?.faults ?? [];
  if (faults.length && stack.provider === 'external') {
    throw new UserError(
      `workload.faults: ${faults.map((f) => f.action).join(', ')} act on the stack's processes, which provider external does not control; use provider local or containers, or drop the faults`,
    );
  }
}

async function importScenario(file: string, resolved: string): Promise<Record<string, unknown>> {
  if (!existsSync(resolved)) {
    const shipped = shippedScenarios();
    throw new UserError(
      `no scenario file at ${file}${shipped.length ? `; shipped scenarios: ${shipped.join(', ')}` : ''}`,
    );
  }
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(resolved).href)) as { default?: unknown };
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? '';
    const hint = /require\(\)|ES Module/.test(message)
      ? ' (scenario files are ES modules: name it .mts, or keep it beside a package.json with "type": "module")'
      : '';
    throw new UserError(`scenario ${file} could not be loaded: ${message}${hint}`);
  }
  if (!module.default || typeof module.default !== 'object') {
    throw new UserError(`scenario ${file} has no default export; end it with \`export default defineScenario({ … })\``);
  }
  // A copy: overrides must not change the module's object (compare loads one file once per cell).
  return structuredClone(module.default) as Record<string, unknown>;
}

/** The scenario files shipped in ./scenarios, for the "no such file" message and the scenarios' own test. */
export function shippedScenarios(): string[] {
  const dir = path.resolve('scenarios');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.ts'))
        .sort()
        .map((f) => `scenarios/${f}`)
    : [];
}

/**
 * `--set workload.publishers.rate=50`: sets one field of the scenario before validation, so a matrix
 * (compare, CI jobs) can vary a scenario without copying it. Values are JSON when they parse as JSON.
 */
export function applyOverride(target: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UserError(`--set ${assignment}: expected path=value, e.g. --set workload.publishers.rate=50`);
  const keys = assignment.slice(0, eq).split('.');
  const raw = assignment.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a bare string such as --set stack.engine=redis
  }
  let node: Record<string, unknown> = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) node[key] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new UserError(`--set ${assignment}: ${key} is not an object in this scenario`);
    }
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}
