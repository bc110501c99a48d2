import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEnvAssignments, parsePairs } from './ab.ts';

const badInput = (pattern: RegExp) => (error: Error & { exitCode?: number }) =>
  error.exitCode === 2 && pattern.test(error.message) && !error.message.includes('\n');

test('--pairs: a whole number from 1 to 1000', () => {
  assert.equal(parsePairs('8'), 8);
  assert.equal(parsePairs('1000'), 1000);
  for (const text of ['0', '1001', '2.5', 'eight', '', '-3'])
    assert.throws(() => parsePairs(text), badInput(/--pairs/));
});

test('--a-env / --b-env: NAME=VALUE, the value may contain =', () => {
  assert.deepEqual(
    parseEnvAssignments(['CENTRIFUGO_BENCH_CENTRIFUGO=/opt/c/centrifugo', 'X=a=b', 'EMPTY='], '--a-env'),
    { CENTRIFUGO_BENCH_CENTRIFUGO: '/opt/c/centrifugo', X: 'a=b', EMPTY: '' },
  );
  for (const text of ['NOEQUALS', '=value', '1X=2', 'A B=1']) {
    assert.throws(() => parseEnvAssignments([text], '--b-env'), badInput(/--b-env .*NAME=VALUE/));
  }
});
