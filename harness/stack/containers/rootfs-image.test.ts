/** The pieces of a rootfs image that need no engine: which libraries go in, and the harness image's tag. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findTool } from '../toolchain/tools.ts';
import { HARNESS_IMAGE_REPOSITORY, harnessImageTag } from './harness-image.ts';
import { sharedLibraries } from './rootfs-image.ts';

test("Node's shared libraries are listed as absolute paths, the C library and the loader among them", () => {
  const libraries = sharedLibraries(process.execPath);
  assert.ok(libraries.length > 0);
  for (const library of libraries) assert.match(library, /^\//);
  assert.ok(
    libraries.some((l) => /\/libc\.so\.6$/.test(l)),
    libraries.join(' '),
  );
  assert.ok(
    libraries.some((l) => /ld-linux/.test(l)),
    libraries.join(' '),
  );
});

test('a static binary (the pinned Centrifugo) needs no library', { skip: !findTool('centrifugo') }, () => {
  assert.deepEqual(sharedLibraries(findTool('centrifugo')!.path), []);
});

test('the harness image tag is a content hash: the same files give the same tag', () => {
  const tag = harnessImageTag();
  assert.match(tag, new RegExp(`^${HARNESS_IMAGE_REPOSITORY}:[0-9a-f]{12}$`));
  assert.equal(harnessImageTag(), tag);
});
