/** `compare --fault`: what each fault does to a cell, and the combinations refused before anything starts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUserError } from '../common/errors.ts';
import { runCompare } from './compare.ts';
import { cellOverrides } from './compare-matrix.ts';

const cell = { mode: 'cdc', roomSize: 1000, engine: 'redis' };

test('kill-node: 2 nodes, node 1 killed at 10 s and back at 20 s', () => {
  const overrides = cellOverrides(cell, { fault: 'kill-node', users: 1000 });
  assert.ok(overrides.includes('stack.nodes=2'));
  const faults = JSON.parse(overrides.find((o) => o.startsWith('workload.faults='))!.slice('workload.faults='.length));
  assert.deepEqual(
    faults.map((f: { action: string }) => f.action),
    ['kill-centrifugo-node', 'start-centrifugo-node'],
  );
});

test('restart-connect: the node count stays; Kafka Connect killed and restarted at 10 s', () => {
  const overrides = cellOverrides(cell, { fault: 'restart-connect', users: 1000 });
  assert.ok(!overrides.some((o) => o.startsWith('stack.nodes=')));
  assert.ok(
    overrides.includes(
      'workload.faults=[{"at":"10s","action":"restart-service","service":"kafka-connect","kill":true}]',
    ),
  );
});

test('refused at once: an unknown fault, restart-connect with a mode that runs no Kafka Connect', async () => {
  const base = {
    file: 'scenarios/compare.ts',
    roomSizes: [100],
    engines: ['redis'],
    overrides: [],
    signal: new AbortController().signal,
    setup: false,
  };
  await assert.rejects(
    runCompare({ ...base, modes: ['cdc'], fault: 'pause-kafka' }),
    (e) => isUserError(e) && /unknown fault "pause-kafka"; use kill-node or restart-connect/.test(e.message),
  );
  await assert.rejects(
    runCompare({ ...base, modes: ['cdc', 'outbox'], fault: 'restart-connect' }),
    (e) => isUserError(e) && e.exitCode === 2 && /only the cdc modes run: .*not outbox/.test(e.message),
  );
});
