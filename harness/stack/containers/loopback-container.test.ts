import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ryukDisabled } from './loopback-container.ts';

test('Ryuk runs only where its image is already on the engine, unless the user decided', () => {
  let asked = 0;
  const present = () => {
    asked++;
    return true;
  };
  assert.equal(ryukDisabled(undefined, present), 'false');
  assert.equal(
    ryukDisabled(undefined, () => false),
    'true',
    'no image, no pull: the harness reaper alone',
  );
  assert.equal(ryukDisabled('true', present), 'true');
  assert.equal(
    ryukDisabled('false', () => false),
    'false',
    "the user's setting wins, even without the image",
  );
  assert.equal(asked, 1, 'the engine is asked only when the user left it open');
});
