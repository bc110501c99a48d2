/**
 * Stack start and stop time, provider local vs containers, same spec, interleaved (local, containers,
 * local, …) so machine load drifts hit both alike:
 *
 *   node --import tsx harness/stack/containers/stack-start.bench.ts [--runs 3] [--spec full|centrifugo|services|cdc]
 *
 * `full` is compare's outbox cell grown to every container this provider has: Redis engine, 2 Centrifugo
 * nodes, PostgreSQL, the chat app (outbox), push sink and push relay. `centrifugo` is the smoke scenario's
 * stack (one node, memory engine). `services` is `stack up`'s default (`--services all`): one node, memory
 * engine, PostgreSQL, Redis, NATS and ClickHouse. `cdc` is compare's cdc cell (memory engine): PostgreSQL, Kafka,
 * Kafka Connect + Debezium, Centrifugo with its kafka consumer, the chat app. Images are built before the first timed start (their build time is
 * printed by the provider, once). Prints one line per start and a JSON summary (medians, seconds).
 */
import { parseArgs } from 'node:util';
import { type StackSpecInput, stackSpecForMode } from '../index.ts';
import { withStack } from '../testing.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, spec: { type: 'string', default: 'full' } },
});
const runs = Number(values.runs);
const specs: Record<string, StackSpecInput> = {
  full: { engine: 'redis', nodes: 2, chatApp: { mode: 'outbox' }, pushSink: {}, pushRelay: {} },
  centrifugo: { engine: 'memory', nodes: 1 },
  services: { engine: 'memory', nodes: 1, services: ['postgres', 'redis', 'nats', 'clickhouse'] },
  cdc: stackSpecForMode('cdc', 'memory'),
};
const spec = specs[values.spec ?? 'full'];
if (!spec) throw new Error(`--spec: full, centrifugo, services or cdc (got ${values.spec})`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeOnce(provider: 'local' | 'containers'): Promise<{ up: number; down: number }> {
  const started = performance.now();
  let up = 0;
  await withStack({ ...spec, provider }, async () => {
    up = (performance.now() - started) / 1000;
  });
  return { up, down: (performance.now() - started) / 1000 - up };
}

// Untimed: builds (or finds) every image, warms tsx's compile cache for both providers alike.
await timeOnce('containers');
const times: Record<'local' | 'containers', { up: number[]; down: number[] }> = {
  local: { up: [], down: [] },
  containers: { up: [], down: [] },
};
for (let run = 1; run <= runs; run++) {
  for (const provider of ['local', 'containers'] as const) {
    const { up, down } = await timeOnce(provider);
    times[provider].up.push(up);
    times[provider].down.push(down);
    process.stdout.write(`run ${run} ${provider.padEnd(10)} up ${up.toFixed(2)} s  down ${down.toFixed(2)} s\n`);
  }
}
const summary = Object.fromEntries(
  Object.entries(times).map(([provider, t]) => [
    provider,
    { upMedianS: +median(t.up).toFixed(2), downMedianS: +median(t.down).toFixed(2), runs },
  ]),
);
process.stdout.write(`${JSON.stringify({ spec: values.spec, ...summary })}\n`);
