import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { missingPlatformEntries } from './complete-lockfile.mjs';

const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8'));

// A warm npm cache hides an incomplete lock; a fresh CI clone does not. Catch it here first.
test('the committed package-lock.json lists every platform build npm ci will ask for', () => {
  assert.deepEqual(Object.keys(missingPlatformEntries(lock)), []);
});

test('a platform build dropped from the lock is found and rebuilt with its os, cpu and libc', () => {
  const packages = { ...lock.packages };
  const dropped = 'node_modules/@biomejs/cli-linux-x64-musl';
  assert.ok(packages[dropped], 'fixture: the lock has the musl build of biome');
  delete packages[dropped];
  const missing = missingPlatformEntries({ ...lock, packages });
  assert.deepEqual(Object.keys(missing), [dropped]);
  const { os, cpu, libc, optional } = missing[dropped] ?? {};
  assert.deepEqual({ os, cpu, libc, optional }, { os: ['linux'], cpu: ['x64'], libc: ['musl'], optional: true });
});
