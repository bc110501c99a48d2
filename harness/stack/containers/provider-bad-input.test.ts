/** `--provider containers` with no usable engine: one clear line, exit 2, nothing started. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT } from '../compose/compose-config.ts';

const results = mkdtempSync(path.join(os.tmpdir(), 'cb-provider-bad-input-'));
after(() => rmSync(results, { recursive: true, force: true }));

function stackUp(env: NodeJS.ProcessEnv) {
  return spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'harness/cli/bin.mjs'), 'stack', 'up', '--provider', 'containers', '--services', 'redis'],
    { encoding: 'utf8', timeout: 60_000, env: { ...env, CENTRIFUGO_BENCH_RESULTS: results } },
  );
}

function oneLine(result: ReturnType<typeof stackUp>): string {
  assert.equal(result.status, 2, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  return lines[0] ?? '';
}

test('stack up --provider containers against an unreachable engine exits 2 with one line', () => {
  const line = oneLine(stackUp({ ...process.env, DOCKER_HOST: 'unix:///nonexistent/engine.sock' }));
  assert.match(line, /^error: provider containers: container engine unreachable at \/nonexistent\/engine\.sock/);
});

test('stack up --provider containers with no engine installed exits 2 with one line', () => {
  // A PATH without podman or docker (node is run by its absolute path).
  const empty = mkdtempSync(path.join(os.tmpdir(), 'cb-empty-path-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: empty };
    delete env.DOCKER_HOST;
    const line = oneLine(stackUp(env));
    assert.match(line, /^error: provider containers: no container engine found \(neither podman nor docker on PATH\)/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
