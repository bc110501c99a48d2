import os from 'node:os';
import path from 'node:path';
import { CENTRIFUGO_VERSION } from '../versions.ts';

/**
 * The tools cache lives in the user's home (XDG_CACHE_HOME respected), not in the clone: every clone and
 * every CI checkout on the machine shares one Centrifugo build, so the second `setup` is instant.
 */
export function toolsCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'centrifugo-bench', 'tools');
}

export function cachedCentrifugoPath(version = CENTRIFUGO_VERSION): string {
  return path.join(toolsCacheDir(), `centrifugo-v${version}`, 'centrifugo');
}
