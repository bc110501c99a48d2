/**
 * Publish targets by name: a plain name → lazy import map, one file per target (artillery's engines map).
 * A target module exports `createTarget` (see publish-target.ts). Add a target with one line here.
 *
 * A name that is an absolute path or a file: URL is imported as a target module directly — for targets
 * that live outside the engine (tests' deliberately faulty targets, a user's own service).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CreateTarget } from './publish-target.ts';

type TargetModule = { createTarget: CreateTarget };

export const TARGETS: Record<string, () => Promise<TargetModule>> = {
  'centrifugo-broadcast': () => import('./centrifugo-broadcast.ts'),
  'centrifugo-publish': () => import('./centrifugo-publish.ts'),
  'chat-app': () => import('./chat-app.ts'),
};

export function isModuleTarget(name: string): boolean {
  return name.startsWith('file:') || path.isAbsolute(name);
}

export function isKnownTarget(name: string): boolean {
  return Object.hasOwn(TARGETS, name) || isModuleTarget(name);
}

export async function loadTarget(name: string): Promise<CreateTarget> {
  const load = Object.hasOwn(TARGETS, name)
    ? TARGETS[name]!
    : isModuleTarget(name)
      ? () => import(name.startsWith('file:') ? name : pathToFileURL(name).href) as Promise<TargetModule>
      : undefined;
  if (!load) throw new Error(`unknown publish target '${name}' (known: ${Object.keys(TARGETS).join(', ')})`);
  const module = await load();
  if (typeof module.createTarget !== 'function') throw new Error(`target '${name}' does not export createTarget`);
  return module.createTarget;
}
