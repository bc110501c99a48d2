import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IntendedTimes } from './intended-times.ts';
import { OwedStreams } from './owed-streams.ts';
import { PublishLedger } from './publish-ledger.ts';
import { SequenceTracker } from './sequence-tracker.ts';

test('in-order receipts keep one range (O(1) memory)', () => {
  const t = new SequenceTracker();
  for (let q = 1; q <= 100_000; q++) assert.equal(t.record(q), 'new');
  assert.equal(t.received, 100_000);
  assert.equal(t.rangeCount, 1);
  assert.equal(t.receivedUpTo(500), 500);
});

test('classifies duplicates, reordering and gaps exactly', () => {
  const t = new SequenceTracker();
  const kinds = [1, 2, 5, 3, 3, 7, 4, 6, 2, 8].map((q) => t.record(q));
  assert.deepEqual(kinds, [
    'new',
    'new',
    'new',
    'new-reordered',
    'duplicate',
    'new',
    'new-reordered',
    'new-reordered',
    'duplicate',
    'new',
  ]);
  assert.equal(t.received, 8);
  assert.equal(t.rangeCount, 1, 'gaps closed merge back into one range');
  assert.deepEqual(t.gaps(10), [[9, 10]]);
});

test('random order with holes: received set, gaps and counts match a reference Set', () => {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const t = new SequenceTracker();
  const reference = new Set<number>();
  for (let i = 0; i < 20_000; i++) {
    const q = 1 + Math.floor(random() * 5000);
    const kind = t.record(q);
    assert.equal(kind === 'duplicate', reference.has(q), `q=${q}`);
    reference.add(q);
  }
  assert.equal(t.received, reference.size);
  for (const w of [1, 100, 2500, 5000, 6000]) {
    assert.equal(t.receivedUpTo(w), [...reference].filter((q) => q <= w).length, `w=${w}`);
  }
  const missing = t.gaps(5000).reduce((n, [a, b]) => n + b - a + 1, 0);
  assert.equal(missing, 5000 - reference.size);
  for (let q = 1; q <= 5000; q++) assert.equal(t.has(q), reference.has(q));
});

test('publish ledger: sequence numbers, settled watermark, interrupted messages count as failed', () => {
  const ledger = new PublishLedger();
  for (let i = 0; i < 5; i++) ledger.nextSeq('s');
  ledger.accepted('s', 1);
  ledger.accepted('s', 2, ['personal:u3']);
  ledger.failed('s', 4);
  const progress = ledger.progress().s!;
  assert.equal(progress.settled, 2, '3 is still in flight');
  assert.deepEqual(progress.failed, [4]);
  assert.deepEqual(progress.failedRecipients, [[2, 'personal:u3']]);
  assert.deepEqual(ledger.progress().s!.failed, [], 'failures are reported once');
  assert.equal(ledger.inFlight(), 2);
  const final = ledger.final().s!;
  assert.equal(final.published, 5);
  assert.deepEqual(
    final.failed.sort((a, b) => a - b),
    [3, 4, 5],
  );
});

test('owed streams: expected and delivered exclude failed messages; late arrivals un-declare loss', () => {
  const owed = new OwedStreams();
  owed.applyProgress(1000, { b: { settled: 10, failed: [4], failedRecipients: [[6, 'personal:u1']] } }, 60e6);
  const u1 = new SequenceTracker();
  const u2 = new SequenceTracker();
  for (const q of [1, 2, 3, 5, 7, 8, 9]) u1.record(q); // misses 10 (lost); 4 and 6 were never owed
  for (const q of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) u2.record(q); // got 4 though it failed: unaccepted
  assert.deepEqual(owed.account('b', 'personal:u1', u1, 10), { expected: 8, delivered: 7, unaccepted: 0 });
  assert.deepEqual(owed.account('b', 'personal:u2', u2, 10), { expected: 9, delivered: 9, unaccepted: 1 });
  u1.record(10); // late
  assert.deepEqual(owed.account('b', 'personal:u1', u1, 10), { expected: 8, delivered: 8, unaccepted: 0 });
  // Watermark history: what had settled by a given time.
  owed.applyProgress(2000, { b: { settled: 20, failed: [], failedRecipients: [] } }, 60e6);
  assert.equal(owed.watermarkAt('b', 1500), 10);
  assert.equal(owed.watermarkAt('b', 500), 0);
  assert.equal(owed.watermark('b'), 20);
});

test('intended times: first seq intended at/after a moment, idempotent tails, forgetting keeps answers', () => {
  const times = new IntendedTimes();
  times.append('b', { from: 1, times: [1000, 2000, 2000, 3000] });
  times.append('b', { from: 3, times: [2000, 3000, 4000] }); // overlaps: applied once
  assert.equal(times.known('b'), 5);
  assert.equal(times.firstAtOrAfter('b', 0), 1);
  assert.equal(times.firstAtOrAfter('b', 1500), 2);
  assert.equal(times.firstAtOrAfter('b', 2000), 2, 'at the moment counts as owed');
  assert.equal(times.firstAtOrAfter('b', 3500), 5);
  assert.equal(times.firstAtOrAfter('b', 4001), undefined, 'not reported yet');
  assert.equal(times.firstAtOrAfter('other', 0), undefined);
  times.forgetBefore('b', 2500);
  assert.equal(times.size, 2);
  assert.equal(times.firstAtOrAfter('b', 2500), 4, 'sequence numbers survive forgetting');
  times.append('b', { from: 6, times: [5000] });
  assert.equal(times.firstAtOrAfter('b', 4500), 6);
  assert.throws(() => times.append('b', { from: 9, times: [9000] }), /a tail went missing/);
});

test('publish ledger: intended times go out once, with the progress or the final record', () => {
  const ledger = new PublishLedger({ recordIntended: true });
  ledger.nextSeq('s', 100);
  ledger.nextSeq('s', 200);
  assert.deepEqual(ledger.progress().s!.intended, { from: 1, times: [100, 200] });
  assert.deepEqual(ledger.progress().s!.intended, { from: 3, times: [] });
  ledger.nextSeq('s', 300);
  assert.deepEqual(ledger.final().s!.intended, { from: 3, times: [300] });
  assert.equal(new PublishLedger().progress().s, undefined);
  const plain = new PublishLedger();
  plain.nextSeq('s', 100);
  assert.equal(plain.progress().s!.intended, undefined, 'not recorded unless asked');
});

test('owed streams: a late joiner owes from its first owed seq; failures before it do not count', () => {
  const owed = new OwedStreams();
  owed.applyProgress(1000, { b: { settled: 10, failed: [2, 8], failedRecipients: [[9, 'personal:u1']] } }, 60e6);
  const u1 = new SequenceTracker();
  for (const q of [3, 4, 5, 6, 7, 10]) u1.record(q); // joined at seq 5: 3 and 4 arrived before it subscribed
  // Owed 5..10 = 6, minus 8 (failed) and 9 (failed for u1) = 4; received 5, 6, 7, 10.
  assert.deepEqual(owed.account('b', 'personal:u1', u1, 10, 5), { expected: 4, delivered: 4, unaccepted: 0 });
  assert.deepEqual(owed.account('b', 'personal:u1', u1, 10, 11), { expected: 0, delivered: 0, unaccepted: 0 });
  assert.deepEqual(owed.account('b', 'personal:u1', u1, 10, 1), { expected: 7, delivered: 6, unaccepted: 0 });
});
