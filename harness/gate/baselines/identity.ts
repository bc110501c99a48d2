/**
 * What makes two runs comparable, and which machine measured them.
 *
 * The identity of a run is what it measured: the scenario name, the publish target, the stack's shape
 * (provider, engine, nodes, services, consumers, the system under test's options) and the workload
 * (subscribers, publishers, drain, faults — or the push flood, the dataset, who is online). It is NOT what
 * a comparison exists to test — component versions, binaries, Centrifugo's tuning — nor what does not
 * change the load: thresholds, results/output settings, the description, ports, the honesty-watch limits.
 *
 * It is read from run.json's `info.scenario.config`, which is the scenario as written (plus overrides):
 * defaults are not filled in there. So the identity takes the stack's provider, engine and nodes from
 * run.json's resolved `info.stack`, fills the publish target's default, and drops empty lists and objects;
 * a field written out with its default value elsewhere (`timeUnit: '1s'`) still reads as a difference,
 * which the diff names.
 *
 * Known limitation, kept on purpose: the workload is not normalised through the engine's `parseWorkload`
 * (harness/engine/index.ts exports it), because gate may import only results and common
 * (harness/architecture.cjs) — and a copy of the engine's defaults here would drift from them. The fix
 * belongs upstream: run.json recording the workload as the engine resolved it (defaults filled in).
 */
import { createHash } from 'node:crypto';
import type { RunInfo } from '../../common/summary-types.ts';

/** Canonical, comparable description of what a run measured (see the file's comment). */
export type RunIdentity = Record<string, unknown>;

export interface HostFingerprint {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  arch: string;
}

/** The publish target when a scenario names none (harness/engine/workload.ts). */
const DEFAULT_TARGET = 'centrifugo-broadcast';

/** Stack fields that do not change the stack's shape: where it listens, how to reach it, its tuning. */
const STACK_NOT_IDENTITY = new Set([
  'centrifugoPorts',
  'stackFile',
  'allowRemoteTargets',
  // Centrifugo's settings (log level, queue sizes, ping intervals) are configuration of the system under
  // test — what an A/B comparison may well be testing, like its version.
  'centrifugo',
]);

/** Keys dropped at any depth of the stack section: ports are picked free per run. */
const PORT_KEYS = new Set(['port', 'ports']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sorted keys, no undefined, no empty lists or objects (they mean "the default" in a scenario). */
function canonical(value: unknown, dropKeys: ReadonlySet<string> = new Set()): Json | undefined {
  if (Array.isArray(value)) {
    const items = value.map((item) => canonical(item, dropKeys) ?? null);
    return items.length ? items : undefined;
  }
  if (isObject(value)) {
    const entries = Object.keys(value)
      .sort()
      .filter((key) => !dropKeys.has(key))
      .map((key) => [key, canonical(value[key], dropKeys)] as const)
      .filter(([, item]) => item !== undefined);
    return entries.length ? (Object.fromEntries(entries) as Json) : undefined;
  }
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (typeof value === 'bigint') return value.toString();
  return value as Json;
}

/** JSON with keys in sorted order at every depth: the same identity always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value) ?? null);
}

/** The identity of a run from its run.json; null when the run has none (a run copied without it). */
export function runIdentity(info: RunInfo | null): RunIdentity | null {
  if (!info) return null;
  const config = isObject(info.scenario.config) ? info.scenario.config : {};
  const stack = isObject(config.stack) ? { ...config.stack } : {};
  for (const key of STACK_NOT_IDENTITY) delete stack[key];
  // What actually ran (defaults resolved): `stack: {}` and `stack: { engine: 'memory' }` are the same stack.
  if (info.stack) Object.assign(stack, info.stack);

  let workload: Record<string, unknown> | undefined;
  if (isObject(config.workload)) {
    const { limits: _limits, ...rest } = config.workload;
    workload = rest;
    if (isObject(rest.publishers)) {
      // Excluded on purpose: an injected slowdown is the very difference `calibrate` measures between two
      // otherwise identical sides, so a baseline without it must stay comparable with runs that have it.
      const { slowdown: _slowdown, ...publishers } = rest.publishers;
      workload = { ...rest, publishers: { ...publishers, target: publishers.target ?? DEFAULT_TARGET } };
    }
  }

  const identity = {
    scenario: info.scenario.name,
    target: isObject(workload?.publishers) ? workload.publishers.target : null,
    stack: canonical(stack, PORT_KEYS),
    dataset: canonical(config.dataset),
    online: config.dataset ? canonical(config.online) : undefined,
    workload: canonical(workload),
    push: canonical(config.push),
  };
  return (canonical(identity) ?? {}) as RunIdentity;
}

/** sha256 of the identity's canonical JSON, first 12 hex digits. */
export function identityHash(identity: RunIdentity): string {
  return createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 12);
}

/** The machine, as far as it matters for numbers: not the hostname (CI runners get a new one every job). */
export function hostFingerprint(info: RunInfo | null): HostFingerprint | null {
  if (!info?.host) return null;
  return {
    cpuModel: info.host.cpuModel,
    cores: info.host.cpus,
    memoryGiB: Math.round(info.host.memoryBytes / 2 ** 30),
    platform: info.host.platform,
    arch: info.host.arch,
  };
}

function show(value: unknown): string {
  return value === undefined ? '(not set)' : JSON.stringify(value);
}

function collectDifferences(a: unknown, b: unknown, at: string, out: Array<[string, unknown, unknown]>): void {
  if (isObject(a) && isObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
      collectDifferences(a[key], b[key], at ? `${at}.${key}` : key, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) collectDifferences(a[i], b[i], `${at}[${i}]`, out);
    return;
  }
  if (canonicalJson(a) !== canonicalJson(b)) out.push([at || '(root)', a, b]);
}

/**
 * Every path where two identities (or host fingerprints) differ, as "path: A in the baseline, B here";
 * `labels` name the two sides. Empty when they are the same.
 */
export function describeDifferences(
  a: unknown,
  b: unknown,
  labels: readonly [string, string] = ['in the baseline', 'here'],
): string[] {
  const out: Array<[string, unknown, unknown]> = [];
  collectDifferences(canonical(a), canonical(b), '', out);
  return out.map(([at, x, y]) => `${at}: ${show(x)} ${labels[0]}, ${show(y)} ${labels[1]}`);
}
