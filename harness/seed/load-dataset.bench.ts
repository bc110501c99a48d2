/**
 * Seeding benchmark: generate GrandChat's dataset and bulk-load it into a throwaway PostgreSQL.
 *
 *   node --import tsx harness/seed/load-dataset.bench.ts [--users 100000] [--runs 3] [--devices]
 *
 * Prints one line per run and a JSON summary (medians, ms) on stdout. Rooms are GrandChat's four
 * (100k / 10k / 1k / 100 members), capped at --users.
 */
import { parseArgs } from 'node:util';
import { withStack } from '../stack/testing.ts';
import { GRANDCHAT_ROOMS } from './dataset-schema.ts';
import { generateDataset } from './generate-dataset.ts';
import { loadDataset } from './load-dataset.ts';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    devices: { type: 'boolean', default: false },
  },
});
const users = Number(values.users);
const runs = Number(values.runs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const generateStarted = performance.now();
const dataset = generateDataset({
  seed: 1,
  users,
  rooms: GRANDCHAT_ROOMS.map((r) => ({ name: r.name, members: Math.min(r.members, users) })),
  ...(values.devices ? { devices: {} } : {}),
});
const generateMs = Math.round(performance.now() - generateStarted);
const memberships = dataset.rooms.reduce((n, r) => n + r.memberIds.length, 0);
process.stdout.write(
  `generated ${users} users, ${memberships} memberships, ${dataset.devices.length} devices in ${generateMs} ms\n`,
);

await withStack({ services: ['postgres'] }, async (stack) => {
  const totals: number[] = [];
  const membershipMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const result = await loadDataset(stack.endpoints.postgres!.url, dataset, { force: true });
    totals.push(result.timings.total);
    membershipMs.push(result.timings.memberships);
    process.stdout.write(`run ${i + 1}: ${JSON.stringify(result.timings)}\n`);
  }
  const skip = await loadDataset(stack.endpoints.postgres!.url, dataset);
  process.stdout.write(
    `${JSON.stringify({
      users,
      memberships,
      devices: dataset.devices.length,
      generateMs,
      loadMedianMs: median(totals),
      membershipsMedianMs: median(membershipMs),
      rowsPerSecond: Math.round(((users + memberships) / median(totals)) * 1000),
      identicalReloadMs: skip.timings.total,
    })}\n`,
  );
});
