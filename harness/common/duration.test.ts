import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatK6Duration, parseDuration } from './duration.ts';

test('parses k6 duration strings to milliseconds', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1h2m3s'), 3_723_000);
  assert.equal(parseDuration('2.5s'), 2500);
  assert.equal(parseDuration('250'), 250);
  assert.equal(parseDuration(1500), 1500);
  for (const bad of ['', 'abc', '10', '5 s', '1x', '-1s']) {
    if (bad === '10') continue; // a bare number is ms, like k6
    assert.throws(() => parseDuration(bad), /invalid duration/, bad);
  }
});

test('formats milliseconds the way k6 prints durations', () => {
  assert.equal(formatK6Duration(30_000), '30s');
  assert.equal(formatK6Duration(90_000), '1m30s');
  assert.equal(formatK6Duration(600_000), '10m0s');
  assert.equal(formatK6Duration(3_600_000), '1h0m0s');
  assert.equal(formatK6Duration(500), '500ms');
  assert.equal(formatK6Duration(2500), '2.5s');
});
