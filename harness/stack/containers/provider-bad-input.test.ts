/** `--provider containers` with no reachable engine: one clear line, exit 2, nothing started. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../compose/compose-config.ts';

test('stack up --provider containers against an unreachable engine exits 2 with one line', () => {
  const result = spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'harness/cli/bin.mjs'), 'stack', 'up', '--provider', 'containers'],
    { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/engine.sock' } },
  );
  assert.equal(result.status, 2, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(
    lines[0] ?? '',
    /^error: provider containers: container engine unreachable at \/nonexistent\/engine\.sock/,
  );
});
