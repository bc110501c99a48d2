import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createECDH } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decryptWebPush } from '../push-sink/testing.ts';
import { cachedEcdhHelperPath, EcdhHelper, ecdhHelperSource } from './ecdh-helper.ts';
import { encryptWebPushWith, userAgentKeys } from './webpush-encrypt.ts';

/** The cached build when setup made one, else a build of the source in a temporary folder (Go is needed). */
let binary = cachedEcdhHelperPath();
let tmp: string | undefined;

/** Running: a zombie (exited, not yet reaped by whoever adopted it) does not count. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await sleep(20);
  }
  return !alive(pid);
}

function uaKeyPair() {
  const ua = createECDH('prime256v1');
  return { ua, publicKey: ua.generateKeys() };
}

before(() => {
  if (existsSync(binary)) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ecdh-helper-'));
  binary = path.join(tmp, 'ecdh-helper');
  execFileSync('go', ['build', '-o', binary, '.'], {
    cwd: ecdhHelperSource().dir,
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false', GOTOOLCHAIN: 'local' },
  });
});
after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('EcdhHelper', () => {
  it('answers every key of a batch in order, with a fresh sender key each time', async () => {
    const helper = new EcdhHelper(binary);
    try {
      const uas = Array.from({ length: 300 }, uaKeyPair);
      // The same subscription twice in the batch: two different key pairs (RFC 8291 §3.1).
      uas.push(uas[0]!);
      const results = await Promise.all(uas.map((u) => helper.derive(u.publicKey)));
      assert.equal(helper.counts.batches, 1, 'every key asked for in one tick goes in one write');
      assert.equal(helper.counts.helper, uas.length);
      for (let i = 0; i < uas.length; i++) {
        const { senderPublic, sharedSecret } = results[i]!;
        assert.equal(senderPublic.length, 65);
        assert.equal(sharedSecret.length, 32);
        assert.deepEqual(uas[i]!.ua.computeSecret(senderPublic), sharedSecret, `answer ${i} belongs to key ${i}`);
      }
      assert.notDeepEqual(results[0]!.senderPublic, results.at(-1)!.senderPublic);
      assert.equal(new Set(results.map((r) => r.senderPublic.toString('hex'))).size, uas.length);
    } finally {
      helper.close();
    }
  });

  it('flushes on the next tick: keys asked for in separate ticks are separate writes', async () => {
    const helper = new EcdhHelper(binary);
    try {
      const { ua, publicKey } = uaKeyPair();
      for (let i = 0; i < 3; i++) {
        const { senderPublic, sharedSecret } = await helper.derive(publicKey);
        assert.deepEqual(ua.computeSecret(senderPublic), sharedSecret);
      }
      assert.equal(helper.counts.batches, 3);
    } finally {
      helper.close();
    }
  });

  it('rejects a key that is not on the curve and keeps the order of the others', async () => {
    const helper = new EcdhHelper(binary);
    try {
      const good = [uaKeyPair(), uaKeyPair()];
      const bad = Buffer.alloc(65, 7);
      bad[0] = 4;
      const settled = await Promise.allSettled([
        helper.derive(good[0]!.publicKey),
        helper.derive(bad),
        helper.derive(good[1]!.publicKey),
      ]);
      assert.equal(settled[1]!.status, 'rejected');
      for (const [i, at] of [
        [0, 0],
        [1, 2],
      ] as const) {
        const result = settled[at]!;
        assert.equal(result.status, 'fulfilled');
        assert.deepEqual(good[i]!.ua.computeSecret(result.value.senderPublic), result.value.sharedSecret);
      }
    } finally {
      helper.close();
    }
  });

  it("encrypts a payload the user agent can decrypt (the sink's decryption)", async () => {
    const helper = new EcdhHelper(binary);
    try {
      const { ua, publicKey } = uaKeyPair();
      const auth = Buffer.alloc(16, 3);
      const keys = userAgentKeys(publicKey.toString('base64url'), auth.toString('base64url'));
      const body = encryptWebPushWith(keys, Buffer.from('hello through the helper'), await helper.derive(publicKey));
      const plain = decryptWebPush(body, { ecdh: ua, publicKey, authSecret: auth });
      assert.equal(plain.toString(), 'hello through the helper');
    } finally {
      helper.close();
    }
  });

  it('falls back to node:crypto when the binary is missing, losing nothing', async () => {
    const logs: string[] = [];
    const helper = new EcdhHelper('/nonexistent/ecdh-helper', (m) => logs.push(m));
    const uas = Array.from({ length: 20 }, uaKeyPair);
    const results = await Promise.all(uas.map((u) => helper.derive(u.publicKey)));
    for (const [i, u] of uas.entries()) {
      assert.deepEqual(u.ua.computeSecret(results[i]!.senderPublic), results[i]!.sharedSecret);
    }
    const later = uaKeyPair();
    const r = await helper.derive(later.publicKey);
    assert.deepEqual(later.ua.computeSecret(r.senderPublic), r.sharedSecret);
    assert.equal(helper.counts.helper, 0);
    assert.equal(helper.counts.node, 21);
    assert.equal(logs.length, 1, 'logged once');
    assert.match(logs[0]!, /ENOENT.*node:crypto/);
    helper.close();
  });

  it('answers what was waiting on node:crypto when the helper dies mid-batch', async () => {
    const logs: string[] = [];
    const helper = new EcdhHelper(binary, (m) => logs.push(m));
    await helper.derive(uaKeyPair().publicKey); // running
    const uas = Array.from({ length: 2000 }, uaKeyPair);
    const pending = Promise.all(uas.map((u) => helper.derive(u.publicKey)));
    process.nextTick(() => process.kill(helper.pid!, 'SIGKILL')); // right after the batch is written
    const results = await pending;
    for (const [i, u] of uas.entries()) {
      assert.deepEqual(u.ua.computeSecret(results[i]!.senderPublic), results[i]!.sharedSecret);
    }
    assert.equal(helper.counts.helper + helper.counts.node, 2001);
    assert.ok(helper.counts.node > 0, 'the kill landed before every answer came back');
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /SIGKILL/);
    helper.close();
  });

  it('close() stops the helper', async () => {
    const helper = new EcdhHelper(binary);
    await helper.derive(uaKeyPair().publicKey);
    const pid = helper.pid!;
    assert.ok(alive(pid));
    helper.close();
    assert.ok(await waitGone(pid), 'helper gone after close()');
  });

  it('never outlives its parent: a SIGKILLed parent leaves no orphan', async () => {
    const script = `
      import { EcdhHelper } from ${JSON.stringify(path.join(import.meta.dirname, 'ecdh-helper.ts'))};
      const helper = new EcdhHelper(${JSON.stringify(binary)});
      await helper.derive(Buffer.from(${JSON.stringify(uaKeyPair().publicKey.toString('hex'))}, 'hex'));
      process.stdout.write(String(helper.pid) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      parent.once('exit', () => reject(new Error('parent exited early')));
    });
    assert.ok(pid > 0 && alive(pid));
    parent.kill('SIGKILL');
    assert.ok(await waitGone(pid), 'helper gone after its parent was SIGKILLed');
  });
});
