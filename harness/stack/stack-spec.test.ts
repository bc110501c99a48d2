/** The stack spec refuses unknown keys at every level, the services' options included, before anything starts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../common/errors.ts';
import { parseStackSpec } from './start-stack.ts';

function problem(input: unknown): string {
  try {
    parseStackSpec(input);
  } catch (error) {
    assert.ok(error instanceof UserError);
    assert.equal(error.exitCode, 2);
    return error.message;
  }
  assert.fail('expected a UserError');
}

test('stack: { engnie } is refused, naming engine', () => {
  assert.match(problem({ engnie: 'redis' }), /stack\.engnie: unknown key; did you mean engine\?$/);
});

test('unknown keys in nested sections and in the services options are refused', () => {
  assert.match(
    problem({ centrifugo: { logLevle: 'debug' } }),
    /stack\.centrifugo\.logLevle: unknown key; did you mean logLevel\?$/,
  );
  assert.match(
    problem({ consumers: [{ type: 'redis_stream', name: 'rs', wokers: 2 }] }),
    /stack\.consumers\[0\]\.wokers: unknown key; did you mean workers\?$/,
  );
  assert.match(problem({ chatApp: { mdoe: 'api' } }), /stack\.chatApp\.mdoe: unknown key; did you mean mode\?$/);
  assert.match(
    problem({ pushRelay: { concurency: 4 } }),
    /stack\.pushRelay\.concurency: unknown key; did you mean concurrency\?$/,
  );
  assert.match(problem({ pushSink: { wrokers: 2 } }), /stack\.pushSink\.wrokers: unknown key; did you mean workers\?$/);
});

test('numbers are bounded, with the reason', () => {
  assert.match(problem({ nodes: 1e12 }), /stack\.nodes: at most 16 Centrifugo nodes per stack$/);
  assert.match(problem({ centrifugo: { personalHistorySize: 1e12 } }), /at most 1,000,000 publications/);
  assert.match(problem({ chatApp: { tokenTtlSeconds: 1e12 } }), /stack\.chatApp\.tokenTtlSeconds: at most 2,592,000/);
});
