/**
 * `init`: scaffolds a user's repository like `k6 new` — a scenario, a baselines folder and a CI workflow
 * (templates in scaffold-templates.ts) — without overwriting anything unless asked to.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../common/errors.ts';
import {
  baselinesReadmeTemplate,
  SCAFFOLD_FILES,
  type ScenarioImport,
  scenarioTemplate,
  workflowTemplate,
} from './scaffold-templates.ts';

/** The package has no `exports` field, so a deep import of the scenario definition resolves. */
const PACKAGE_SPECIFIER = 'centrifugo-bench/scenarios/lib/scenario.ts';
/** This harness's own scenario definition: what a clone of it can offer a folder elsewhere. */
const DEFINE_SCENARIO_FILE = fileURLToPath(new URL('../../scenarios/lib/scenario.ts', import.meta.url));

/**
 * The package import when centrifugo-bench is installed where `dir` resolves packages (node_modules of
 * `dir` or a parent): it works on any machine that ran `npm ci`, CI included. Otherwise `init` runs from a
 * clone of the harness and the only import that works is the absolute path of this clone's file.
 */
export function scenarioImportFor(dir: string): ScenarioImport {
  try {
    createRequire(path.join(dir, 'package.json')).resolve(PACKAGE_SPECIFIER);
    return { specifier: PACKAGE_SPECIFIER, from: 'package' };
  } catch {
    return { specifier: DEFINE_SCENARIO_FILE, from: 'path' };
  }
}

export interface ScaffoldOptions {
  /** Overwrite files that already exist. */
  force?: boolean;
}

export interface ScaffoldResult {
  dir: string;
  /** Absolute paths of the files written, scenario first. */
  written: string[];
  /** Absolute path of the scaffolded scenario. */
  scenario: string;
  scenarioImport: ScenarioImport;
}

/** Writes the scenario, baselines/README.md and the workflow into `dir`; refuses (exit 2) to overwrite. */
export function scaffoldRepository(dir: string, options: ScaffoldOptions = {}): ScaffoldResult {
  const root = path.resolve(dir);
  if (existsSync(root) && !statSync(root).isDirectory()) throw new UserError(`${dir} exists and is not a folder`);
  const scenarioImport = scenarioImportFor(root);
  const contents: Record<string, string> = {
    [SCAFFOLD_FILES.scenario]: scenarioTemplate(scenarioImport),
    [SCAFFOLD_FILES.baselinesReadme]: baselinesReadmeTemplate(),
    [SCAFFOLD_FILES.workflow]: workflowTemplate(),
  };
  const existing = Object.keys(contents).filter((file) => existsSync(path.join(root, file)));
  if (existing.length > 0 && !options.force) {
    throw new UserError(`${existing.join(', ')} already in ${root}; pass --force to overwrite`);
  }
  const written = Object.entries(contents).map(([file, text]) => {
    const target = path.join(root, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, text, 'utf8');
    return target;
  });
  return { dir: root, written, scenario: path.join(root, SCAFFOLD_FILES.scenario), scenarioImport };
}
