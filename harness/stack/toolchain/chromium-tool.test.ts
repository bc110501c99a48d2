/** The browser as a tool: found through $CHROMIUM_PATH or PATH, installed by `setup --for-tests` only. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { UserError } from '../../common/errors.ts';
import { missingPackages } from './setup.ts';
import { findTool, requireTool, SERVICE_TOOLS, TEST_TOOLS, TOOLS, versionOf } from './tools.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cb-chromium-tool-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fakeProgram(name: string, output: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\necho '${output}'\n`);
  chmodSync(file, 0o755);
  return file;
}

/** Runs `fn` with these environment variables (undefined: unset), restoring them after. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(vars);
  try {
    return fn();
  } finally {
    apply(saved);
  }
}

test('$CHROMIUM_PATH names the browser, with the version it prints', () => {
  const file = fakeProgram('my-chromium', 'Chromium 156.0.8078.114 built on Debian GNU/Linux 12 (bookworm)');
  const found = withEnv({ CHROMIUM_PATH: file }, () => findTool('chromium'));
  assert.deepEqual(found, { id: 'chromium', path: file, source: '$CHROMIUM_PATH', version: '156.0.8078.114' });
  const chrome = fakeProgram('chrome', 'Google Chrome for Testing 120.0.6099.109 ');
  assert.equal(versionOf(TOOLS.chromium, chrome), '120.0.6099.109');
});

test('a browser that is nowhere: not found, and the message names `apt-get install chromium`', () => {
  const emptyBin = path.join(dir, 'empty-bin');
  mkdirSync(emptyBin, { recursive: true });
  withEnv({ CHROMIUM_PATH: undefined, PATH: emptyBin }, () => {
    assert.equal(findTool('chromium'), undefined);
    assert.throws(
      () => requireTool('chromium'),
      (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.match(error.message, /apt-get install chromium/);
        assert.match(error.message, /\$CHROMIUM_PATH/);
        return true;
      },
    );
    // A fresh machine: the test run's setup installs the package; a benchmark's does not.
    assert.ok(missingPackages(TEST_TOOLS).includes('chromium'));
    assert.ok(!missingPackages(SERVICE_TOOLS).includes('chromium'));
  });
});

test('a $CHROMIUM_PATH that points nowhere is the user to fix, never installed over', () => {
  const nowhere = path.join(dir, 'no-such-chromium');
  withEnv({ CHROMIUM_PATH: nowhere }, () => {
    assert.equal(findTool('chromium'), undefined);
    assert.deepEqual(missingPackages(['chromium']), []);
    assert.throws(
      () => requireTool('chromium'),
      /\$CHROMIUM_PATH points to .*no-such-chromium, which is not an executable/,
    );
  });
});
