/** The version probe: a probe a stop signal killed is the command being stopped, not a missing program. */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { AbortedError } from '../../common/errors.ts';
import { ensureTools } from './ensure-tools.ts';
import { TOOLS, versionOf } from './tools.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cb-tools-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fakeProgram(name: string, script: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
  return file;
}

test('a version probe killed by SIGINT/SIGTERM/SIGHUP reports the stop, not an unknown version', () => {
  for (const signal of ['INT', 'TERM', 'HUP']) {
    const file = fakeProgram(`killed-by-${signal}`, `kill -${signal} $$`);
    assert.throws(
      () => versionOf(TOOLS.centrifugo, file),
      (error: unknown) => {
        assert.ok(error instanceof AbortedError);
        assert.equal(error.message, `stopped by SIG${signal}`);
        return true;
      },
    );
  }
});

test('a version probe that fails or prints something else still means "version unknown"', () => {
  assert.equal(versionOf(TOOLS.centrifugo, fakeProgram('fails', 'exit 1')), undefined);
  assert.equal(versionOf(TOOLS.centrifugo, fakeProgram('other', 'echo something else')), undefined);
  assert.equal(
    versionOf(TOOLS.centrifugo, fakeProgram('right', 'echo "Centrifugo v6.1.2 (Go version: go1.24)"')),
    '6.1.2',
  );
});

test('ensureTools stopped while probing: the stop, not a setup or "not found"', async () => {
  const controller = new AbortController();
  controller.abort(new Error('stopped by SIGTERM'));
  await assert.rejects(ensureTools([], { setup: true, signal: controller.signal }), /stopped by SIGTERM/);
});
