import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectionsDueAt, sourceAddress } from './subscriber-fleet.ts';

test('connection ramp at a rate: the first at once, then one every 1/rate s', () => {
  const ramp = { kind: 'rate' as const, perSecond: 500 };
  assert.equal(connectionsDueAt(ramp, 0), 1);
  assert.equal(connectionsDueAt(ramp, 1000), 501);
  assert.equal(connectionsDueAt(ramp, 10), 6);
});

test('connection ramp by stages: linear within a stage, holding the last target', () => {
  const ramp = {
    kind: 'stages' as const,
    stages: [
      { durationMs: 10_000, target: 1000 },
      { durationMs: 5000, target: 1000 },
      { durationMs: 10_000, target: 3000 },
    ],
  };
  assert.equal(connectionsDueAt(ramp, 0), 0);
  assert.equal(connectionsDueAt(ramp, 5000), 500);
  assert.equal(connectionsDueAt(ramp, 12_000), 1000);
  assert.equal(connectionsDueAt(ramp, 20_000), 2000);
  assert.equal(connectionsDueAt(ramp, 60_000), 3000);
});

test('source addresses: 127.0.0.1 (default) for the first block of sockets to a node, then .2, .3, …', () => {
  const url = 'ws://127.0.0.1:8000/connection/websocket';
  assert.equal(sourceAddress(url, 0, 25_000), undefined);
  assert.equal(sourceAddress(url, 24_999, 25_000), undefined);
  assert.equal(sourceAddress(url, 25_000, 25_000), '127.0.0.2');
  assert.equal(sourceAddress(url, 60_000, 25_000), '127.0.0.3');
  assert.equal(sourceAddress('ws://10.0.0.5:8000/connection/websocket', 60_000, 25_000), undefined);
});
