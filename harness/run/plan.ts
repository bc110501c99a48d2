import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Scenario, type ScenarioInput, ScenarioSchema } from '../../scenarios/lib/scenario.ts';
import { UserError } from '../common/errors.ts';
import { parseOrExplain } from '../common/validation.ts';

export interface LoadedScenario {
  scenario: Scenario;
  /** The scenario as written (after --set overrides), recorded in run.json. */
  input: ScenarioInput;
  file: string;
}

function shippedScenarios(): string[] {
  const dir = path.resolve('scenarios');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.ts'))
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

/** Imports a TypeScript scenario file, applies overrides, validates it; every failure is exit 2. */
export async function loadScenario(file: string, overrides: string[] = []): Promise<LoadedScenario> {
  const resolved = path.resolve(file);
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
  const input = structuredClone(module.default) as Record<string, unknown>;
  for (const assignment of overrides) applyOverride(input, assignment);
  const scenario = parseOrExplain(ScenarioSchema, input, `scenario ${file}`);
  return { scenario, input: input as ScenarioInput, file: path.relative(process.cwd(), resolved) || resolved };
}
