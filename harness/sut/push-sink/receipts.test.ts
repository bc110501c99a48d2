import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { type Receipt, ReceiptWriter } from './receipts.ts';

test('receipts: every line in order, byte for byte JSON, across flushes, long and non-ASCII push ids', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sink-receipts-'));
  try {
    const writer = new ReceiptWriter(path.join(dir, 'r.ndjson'), 60_000);
    const written: Receipt[] = [];
    for (let i = 0; i < 5000; i++) {
      const r: Receipt = {
        receipt: `0-${i.toString(36)}`,
        provider: i % 2 ? 'fcm' : 'webpush',
        device: i % 7 ? i : -1,
        acceptedUs: 1_000_000 + i,
        pushId: i % 5 === 0 ? null : i % 11 === 0 ? `é"ü\\\n${'ш'.repeat(i % 3 === 0 ? 40_000 : 3)}` : `p-${i}`,
        enqueuedUs: i % 3 ? 900_000 + i : null,
      };
      written.push(r);
      writer.add(r);
      if (i === 2500) await writer.flush();
    }
    await writer.flush();
    writer.add(written[0] as Receipt);
    writer.closeSync();
    const lines = readFileSync(path.join(dir, 'r.ndjson'), 'utf8').split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, written.length + 1);
    for (const [i, r] of [...written, written[0] as Receipt].entries()) {
      assert.equal(lines[i], JSON.stringify(r));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
