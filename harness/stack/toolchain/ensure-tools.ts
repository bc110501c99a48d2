import type { ServiceName } from '../stack-spec.ts';
import { setup } from './setup.ts';
import { findTool, requireTool, type ToolId } from './tools.ts';

const TOOLS_OF: Record<ServiceName, ToolId[]> = {
  postgres: ['initdb', 'postgres'],
  redis: ['redis-server'],
  nats: ['nats-server'],
  clickhouse: ['clickhouse-server'],
};

/**
 * Makes sure the programs a local stack needs are there: gets missing ones through `setup` (unless the
 * user said --no-setup), then fails with the exact way to get any that is still missing.
 */
export async function ensureTools(
  services: Iterable<ServiceName>,
  options: { setup: boolean; signal?: AbortSignal },
): Promise<void> {
  const ids: ToolId[] = ['centrifugo', ...[...services].flatMap((s) => TOOLS_OF[s])];
  const missing = ids.filter((id) => !findTool(id));
  // A stop that came while probing: whatever looked missing, the answer is "stopped", not a build or "not found".
  options.signal?.throwIfAborted();
  if (missing.length === 0) return;
  if (options.setup) {
    // Tools pinned by an environment variable are the user's choice: setup must not paper over a typo.
    await setup({ only: missing });
  }
  for (const id of ids) requireTool(id);
}
