import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startCpuProfile } from './cpu-profile.ts';

test('startCpuProfile is a no-op while its directory variable is unset', async () => {
  delete process.env.CENTRIFUGO_BENCH_TEST_PROFILE_DIR;
  assert.equal(await startCpuProfile('CENTRIFUGO_BENCH_TEST_PROFILE_DIR', 'unit'), undefined);
});

test('startCpuProfile writes <name>-<pid>.cpuprofile and .gc.json into the directory at stop', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cpu-profile-'));
  t.after(() => {
    delete process.env.CENTRIFUGO_BENCH_TEST_PROFILE_DIR;
    rmSync(dir, { recursive: true, force: true });
  });
  process.env.CENTRIFUGO_BENCH_TEST_PROFILE_DIR = dir;
  const stop = await startCpuProfile('CENTRIFUGO_BENCH_TEST_PROFILE_DIR', 'unit');
  assert.ok(stop);
  // Garbage enough for at least one scavenge, so the GC tally has something to count.
  let kept = 0;
  for (let i = 0; i < 200_000; i++) kept += { i, s: `x${i}` }.s.length;
  assert.ok(kept > 0);
  await stop();
  assert.deepEqual(readdirSync(dir).sort(), [`unit-${process.pid}.cpuprofile`, `unit-${process.pid}.gc.json`]);
  const profile = JSON.parse(readFileSync(path.join(dir, `unit-${process.pid}.cpuprofile`), 'utf8'));
  assert.ok(Array.isArray(profile.nodes) && profile.nodes.length > 0);
  const gc = JSON.parse(readFileSync(path.join(dir, `unit-${process.pid}.gc.json`), 'utf8'));
  assert.equal(typeof gc, 'object');
});
