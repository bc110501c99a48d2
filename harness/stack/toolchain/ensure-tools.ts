import type { ServiceName } from '../stack-spec.ts';
import { findCdcJars, requireCdcJars } from './kafka-jars.ts';
import { setup } from './setup.ts';
import { findTool, requireTool, type ToolId } from './tools.ts';

const TOOLS_OF: Record<ServiceName, ToolId[]> = {
  postgres: ['initdb', 'postgres'],
  redis: ['redis-server'],
  nats: ['nats-server'],
  clickhouse: ['clickhouse-server'],
  kafka: ['java'],
  'kafka-connect': ['java'],
};

/** Services that run from the cdc jars (kafka-jars.ts) rather than from a program of their own. */
const NEEDS_CDC_JARS: ReadonlySet<ServiceName> = new Set(['kafka', 'kafka-connect']);

/**
 * Makes sure the programs a local stack needs are there: gets missing ones through `setup` (unless the
 * user said --no-setup), then fails with the exact way to get any that is still missing.
 */
export async function ensureTools(
  services: Iterable<ServiceName>,
  options: { setup: boolean; signal?: AbortSignal },
): Promise<void> {
  const wanted = [...services];
  const ids: ToolId[] = [...new Set<ToolId>(['centrifugo', ...wanted.flatMap((s) => TOOLS_OF[s])])];
  const jars = wanted.some((s) => NEEDS_CDC_JARS.has(s));
  // Maven only matters when the jars are not resolved yet: setup resolves them with it.
  const resolveJars = jars && !findCdcJars();
  if (resolveJars) ids.push('mvn');
  const missing = ids.filter((id) => !findTool(id));
  // A stop that came while probing: whatever looked missing, the answer is "stopped", not a build or "not found".
  options.signal?.throwIfAborted();
  if ((missing.length > 0 || resolveJars) && options.setup) {
    // Tools pinned by an environment variable are the user's choice: setup must not paper over a typo.
    await setup({ only: resolveJars && !missing.includes('mvn') ? [...missing, 'mvn'] : missing });
  }
  // Maven is only a means to the jars: what is reported missing is the jars, with the way to get them.
  for (const id of ids) if (id !== 'mvn') requireTool(id);
  if (jars) requireCdcJars();
}
