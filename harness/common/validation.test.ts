import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { UserError } from './errors.ts';
import { editDistance, nearestName, oneLine, parseOrExplain } from './validation.ts';

const Schema = z.strictObject({
  stack: z.strictObject({ engine: z.string().optional(), nodes: z.number().max(16).optional() }).optional(),
  items: z.array(z.strictObject({ name: z.string() })).optional(),
});

function message(value: unknown): UserError {
  try {
    parseOrExplain(Schema, value, 'scenario');
  } catch (error) {
    assert.ok(error instanceof UserError);
    assert.equal(error.exitCode, 2);
    return error;
  }
  assert.fail('expected a UserError');
}

test('edit distance counts an adjacent transposition once', () => {
  assert.equal(editDistance('engnie', 'engine'), 1);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(nearestName('engnie', ['provider', 'engine', 'nodes']), 'engine');
  assert.equal(nearestName('LOGLEVEL', ['logLevel']), 'logLevel');
  assert.equal(nearestName('zzzzzz', ['engine', 'nodes']), undefined);
});

test('an unknown key is named at its own path with the nearest valid spelling', () => {
  assert.equal(
    message({ stack: { engnie: 'redis' } }).message,
    'invalid scenario: stack.engnie: unknown key; did you mean engine?',
  );
  // The misspelt key first: the key it meant is missing only because of it.
  assert.equal(
    message({ items: [{ name: 'a' }, { nmae: 'b' }] }).message,
    'invalid scenario: items[1].nmae: unknown key; did you mean name? (and 1 more problem)',
  );
  assert.equal(
    message({ stack: {}, zzzzzz: 1 }).message,
    'invalid scenario: zzzzzz: unknown key; expected one of stack, items',
  );
});

test('several unknown keys are one problem each', () => {
  const error = message({ stack: { engnie: 'redis', nodse: 2 } });
  assert.deepEqual(error.details, [
    'stack.engnie: unknown key; did you mean engine?',
    'stack.nodse: unknown key; did you mean nodes?',
  ]);
});

test('NaN and Infinity are refused as such, and bounds say so in words', () => {
  assert.match(
    message({ stack: { nodes: Number.POSITIVE_INFINITY } }).message,
    /stack\.nodes: expected a finite number, not Infinity$/,
  );
  assert.match(message({ stack: { nodes: Number.NaN } }).message, /stack\.nodes: expected a finite number, not NaN$/);
  assert.match(message({ stack: { nodes: 17 } }).message, /stack\.nodes: at most 16$/);
});

test('a message is one bounded line whatever the keys hold', () => {
  const error = message({ stack: { [`evil\nkey${'x'.repeat(1_000_000)}`]: 1 } });
  assert.ok(!error.message.includes('\n'), error.message);
  assert.ok(error.message.length < 200, `${error.message.length} characters`);
  assert.equal(oneLine('a\nb\u0000c'), 'a\\nb\\u0000c');
  assert.equal(oneLine('x'.repeat(50), 10), `${'x'.repeat(9)}…`);
});
