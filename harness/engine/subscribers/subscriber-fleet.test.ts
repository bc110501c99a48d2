import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeliverySample } from '../../common/summary-types.ts';
import { PublishLedger } from '../accounting/publish-ledger.ts';
import { synthesizeAudience } from '../audience.ts';
import type { SubscriberWorkerConfig } from '../ipc.ts';
import { MetricsRecorder } from '../metrics/recorder.ts';
import type { SubscriberConnection } from '../protocol/subscriber-connection.ts';
import { connectionsDueAt, SubscriberFleet, sourceAddress } from './subscriber-fleet.ts';

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

const URLS = ['ws://127.0.0.1:9/connection/websocket', 'ws://127.0.0.1:10/connection/websocket'];

function fleetConfig(count: number, extra: Partial<SubscriberWorkerConfig> = {}): SubscriberWorkerConfig {
  return {
    workerId: 'subscribers-1',
    members: synthesizeAudience(count, 'centrifugo-broadcast'),
    firstIndex: 0,
    wsUrls: URLS,
    hmacSecret: 'test-secret-test-secret-test-secret',
    ramp: { kind: 'rate', perSecond: 100 },
    connectTimeoutMs: 1000,
    reconnect: { enabled: false, minDelayMs: 100, maxDelayMs: 100 },
    lostAfterMs: 1000,
    socketsPerSourceAddress: 25_000,
    clientName: 'test',
    nodeNames: ['node-1', 'node-2'],
    owedFrom: 'subscription',
    ...extra,
  };
}

/** Stands in for member i's connection: the fleet only reads its slot and URL. */
function fakeConn(i: number): SubscriberConnection {
  return { slot: i, url: URLS[i % 2]!, userId: `u${i + 1}` } as unknown as SubscriberConnection;
}

test('late joiners owe only what was intended after they subscribed: 3 waves, exact counts, 0 lost', async () => {
  // Virtual run clock (µs). Messages of stream "broadcast" are intended at 0, 1000, …, 5000 (q 1..6).
  // Wave A (u1, u2) subscribes at 500, wave B (u3, u4) at 2500, wave C (u5, u6) at 4500.
  let now = 0;
  const fleet = new SubscriberFleet(
    fleetConfig(6, { samples: { rate: 1, maxPerSecond: 1000, runId: 'r1', epochOffsetUs: 1e15, worker: 1 } }),
    new MetricsRecorder(),
    () => {},
    () => now,
  );
  await fleet.prepare();
  const ledger = new PublishLedger({ recordIntended: true });
  const subscribed = new Set<number>();
  const subscribe = (members: number[]) => {
    for (const i of members) {
      fleet.subscribed(fakeConn(i), {
        atUs: now,
        durationUs: 1,
        wasRecovering: false,
        recovered: false,
        reconnectUs: null,
      });
      subscribed.add(i);
    }
  };
  const deliver = (q: number, t: number, to: Iterable<number>, recovered = false) => {
    for (const i of to)
      fleet.publication(fakeConn(i), { data: { bench: { s: 'broadcast', q, t } } }, now + 7, recovered);
  };
  const publish = (q: number) => {
    assert.equal(ledger.nextSeq('broadcast', (q - 1) * 1000), q);
    ledger.accepted('broadcast', q);
  };

  for (let q = 1; q <= 6; q++) {
    now = (q - 1) * 1000;
    publish(q);
    if (q === 3) {
      // q3 reaches A late, after wave B subscribed: B gets it too, intended before B joined → not owed.
      now = 2500;
      subscribe([2, 3]);
      now = 2600;
      deliver(3, 2000, [0, 1, 2, 3]);
    } else if (q === 5) {
      now = 4500;
      subscribe([4, 5]);
      now = 4600;
      deliver(5, 4000, [0, 1, 2, 3, 4, 5]); // late again: C receives it early
    } else if (q === 6) {
      deliver(6, 5000, [0, 1, 2, 3, 4]); // u6 misses q6 for now
    } else deliver(q, (q - 1) * 1000, subscribed);
    if (q === 1) {
      now = 500;
      subscribe([0, 1]);
    }
    now = (q - 1) * 1000 + 900;
    fleet.applyProgress(now, ledger.progress());
  }
  now = 6000;
  // Against the latest record: u6 misses exactly q6; nothing intended before anyone joined is missing.
  assert.equal(fleet.snapshot().missing, 1);
  now = 6100;
  deliver(6, 5000, [5], true);
  assert.equal(fleet.snapshot().missing, 0);

  const result = fleet.account(now, ledger.final());
  // A owes q2..q6 (5 each), B q4..q6 (3 each), C q6 (1 each).
  assert.equal(result.expected, 2 * 5 + 2 * 3 + 2 * 1);
  assert.equal(result.delivered, result.expected);
  assert.equal(result.beforeSubscription, 2 + 2, 'q3 to B and q5 to C arrived, but were not owed');
  assert.equal(result.unaccepted, 0);

  // rate 1: every delivery (and only deliveries) is a row, on the node of its connection, with its latency.
  const rows: DeliverySample[] = fleet.takeSamples()!.rows;
  assert.equal(rows.length, result.delivered);
  const u6 = rows.find((r) => r.subscriber === 'u6')!;
  assert.deepEqual(u6, {
    run_id: 'r1',
    ts_us: 1e15 + 6107,
    stream: 'broadcast',
    subscriber: 'u6',
    seq: 6,
    latency_us: 1107,
    node: 'node-2',
    worker: 1,
    recovered: true,
  });
  assert.ok(!rows.some((r) => (r.subscriber === 'u3' && r.seq === 3) || (r.subscriber === 'u5' && r.seq === 5)));
  assert.deepEqual(fleet.takeSamples(), { rows: [], dropped: 0 }, 'a second starts empty');
});

test('owedFrom start: everyone owes every message, however late it subscribed', async () => {
  const fleet = new SubscriberFleet(fleetConfig(2, { owedFrom: 'start' }), new MetricsRecorder());
  await fleet.prepare();
  const ledger = new PublishLedger();
  for (let q = 1; q <= 4; q++) {
    ledger.nextSeq('broadcast', q * 1000);
    ledger.accepted('broadcast', q);
  }
  fleet.subscribed(fakeConn(1), {
    atUs: 10_000,
    durationUs: 1,
    wasRecovering: false,
    recovered: false,
    reconnectUs: null,
  });
  fleet.publication(fakeConn(1), { data: { bench: { s: 'broadcast', q: 4, t: 4000 } } }, 10_001, false);
  const result = fleet.account(0, ledger.final());
  assert.deepEqual(result, {
    expected: 8,
    delivered: 1,
    unaccepted: 0,
    unowed: 0,
    beforeSubscription: 0,
    neverSubscribed: 0,
  });
  assert.equal(fleet.takeSamples(), undefined, 'no sampling unless asked');
});
