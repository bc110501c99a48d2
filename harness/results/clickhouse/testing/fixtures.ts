import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFixtureRun } from '../fixture-run.ts';
import { readRunInfo } from '../run-files.ts';
import type { RunUnderTest } from './engine-suite.ts';

/**
 * The runs the engine suite loads: two smoke-sized fixture runs in different broadcast modes (known
 * answers), plus real run folders named by CENTRIFUGO_BENCH_TEST_RUN_DIR=<dir>[,<dir>…] — those must
 * load exactly and every dashboard query must run on them without error (panels for data a run did not
 * produce, e.g. pushes, may be empty).
 */
export function runsForTests(): { root: string; runs: RunUnderTest[] } {
  const real = (process.env.CENTRIFUGO_BENCH_TEST_RUN_DIR ?? '')
    .split(',')
    .filter(Boolean)
    .map((dir) => ({ dir: path.resolve(dir) }));
  for (const run of real) readRunInfo(run.dir);
  const root = mkdtempSync(path.join(os.tmpdir(), 'centrifugo-bench-fixture-runs-'));
  const t0 = Date.UTC(2026, 8, 1, 10, 0, 0);
  const api = writeFixtureRun(root, {
    runId: 'fixture-api',
    startedAt: new Date(t0),
    seconds: 12,
    mode: 'api',
    seed: 1,
  });
  const outbox = writeFixtureRun(root, {
    runId: 'fixture-outbox',
    startedAt: new Date(t0 + 60_000),
    seconds: 12,
    mode: 'outbox',
    seed: 2,
  });
  return {
    root,
    runs: [{ dir: api.dir, truth: api }, { dir: outbox.dir, truth: outbox }, ...real],
  };
}
