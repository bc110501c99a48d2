import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUserError } from './errors.ts';
import { ExitCode } from './exit-codes.ts';
import { checkTargetUrls, isLoopbackHost } from './loopback.ts';

test('loopback hosts: 127.0.0.0/8, ::1 and localhost; "any address" and everything else is not', () => {
  for (const host of ['127.0.0.1', '127.0.0.5', '127.255.255.254', '::1', '[::1]', 'localhost', 'LocalHost']) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (const host of ['0.0.0.0', '::', '[::]', '10.0.0.1', '128.0.0.1', 'example.com', 'localhost.example.com', '']) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});

/** The UserError checkTargetUrls throws, asserted to be exit 2. */
function refusal(run: () => void): string {
  try {
    run();
  } catch (error) {
    assert.ok(isUserError(error), `a UserError, got ${String(error)}`);
    assert.equal(error.exitCode, ExitCode.badInput);
    return error.message;
  }
  assert.fail('expected a refusal');
}

test('loopback URLs pass, with any scheme and credentials', () => {
  checkTargetUrls(
    [
      { name: 'a', url: 'http://127.0.0.5:8000/api' },
      { name: 'b', url: 'ws://[::1]:8000/connection/websocket' },
      { name: 'c', url: 'postgresql://bench:secret@localhost:5432/bench' },
      { name: 'd', url: 'redis://:secret@127.0.0.1:6379' },
      { name: 'e', url: 'postgresql:///bench?host=/var/run/postgresql' },
    ],
    false,
  );
});

test('non-loopback URLs are refused with one error naming every field and host, and the real opt-in', () => {
  const message = refusal(() =>
    checkTargetUrls(
      [
        { name: 'ok', url: 'http://127.0.0.1:8000' },
        { name: 'any4', url: 'http://0.0.0.0:8000/api' },
        { name: 'any6', url: 'http://[::]:8000/api' },
        { name: 'private', url: 'http://10.0.0.1:8000' },
        { name: 'named', url: 'https://chat.example.com' },
        { name: 'smuggled', url: 'postgresql://u@127.0.0.1/db?host=10.9.9.9' },
        { name: 'userinfo', url: 'http://127.0.0.1@10.0.0.2/' },
      ],
      false,
    ),
  );
  for (const part of [
    'any4 → 0.0.0.0',
    'any6 → [::]',
    'private → 10.0.0.1',
    'named → chat.example.com',
    'smuggled → 10.9.9.9',
    'userinfo → 10.0.0.2',
  ]) {
    assert.ok(message.includes(part), `names ${part}: ${message}`);
  }
  assert.doesNotMatch(message, /\bok →/);
  assert.match(message, /stack\.allowRemoteTargets: true/);
  assert.doesNotMatch(message, /--allow-remote(?![-\w])/, 'no option that does not exist');
});

test('allowRemote lets non-loopback URLs through; a caller names its own opt-in', () => {
  const urls = [
    { name: 'any4', url: 'http://0.0.0.0:8000' },
    { name: 'private', url: 'http://10.0.0.1:8000' },
    { name: 'named', url: 'https://chat.example.com' },
  ];
  checkTargetUrls(urls, true);
  assert.match(
    refusal(() => checkTargetUrls(urls, false, 'add --allow-remote-targets')),
    /add --allow-remote-targets$/,
  );
});

test('a value that is not a URL is refused, opted in or not', () => {
  for (const allowRemote of [false, true]) {
    assert.match(
      refusal(() => checkTargetUrls([{ name: 'endpoints.nats.url', url: 'not a url' }], allowRemote)),
      /not a URL: endpoints\.nats\.url/,
    );
  }
});
