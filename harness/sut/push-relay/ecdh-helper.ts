import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createECDH, createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The sender's fresh public key (65 bytes, uncompressed) and the ECDH shared secret (32 bytes). */
export interface EcdhResult {
  senderPublic: Buffer;
  sharedSecret: Buffer;
}

const KEY_SIZE = 65;
const ANSWER_SIZE = 65 + 32;
const SOURCE_DIR = path.join(import.meta.dirname, 'ecdh-helper');
const SOURCE_FILES = ['go.mod', 'main.go'];

/** A fresh P-256 key pair and the shared secret on node:crypto (Node 20's bundled OpenSSL: ~130 µs here). */
export function nodeEcdh(uaPublic: Buffer): EcdhResult {
  const ecdh = createECDH('prime256v1');
  const senderPublic = ecdh.generateKeys();
  return { senderPublic, sharedSecret: ecdh.computeSecret(uaPublic) };
}

/** The helper's Go source (what setup builds) and the hash of it that names the cached build. */
export function ecdhHelperSource(): { dir: string; hash: string } {
  const hash = createHash('sha256');
  for (const file of SOURCE_FILES)
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(path.join(SOURCE_DIR, file)));
  return { dir: SOURCE_DIR, hash: hash.digest('hex').slice(0, 12) };
}

/**
 * Where setup puts the helper: the harness's tools cache (harness/stack/toolchain/paths.ts, the same XDG rule;
 * spelled out here because the relay runs on its own, without the stack), in a folder named after the source's
 * hash so that a changed source is rebuilt and never mistaken for the old build.
 */
export function cachedEcdhHelperPath(toolsDir = defaultToolsDir()): string {
  return path.join(toolsDir, `ecdh-helper-${ecdhHelperSource().hash}`, 'ecdh-helper');
}

function defaultToolsDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'centrifugo-bench', 'tools');
}

/**
 * The helper binary the relay should use, or undefined for node:crypto: `PUSH_RELAY_ECDH=node` (or the config's
 * `webpush.ecdh: 'node'`) forces node:crypto (A/B runs), `PUSH_RELAY_ECDH_HELPER` names a binary, else the
 * cached build when setup made one.
 */
export function resolveEcdhHelper(mode: 'helper' | 'node' = 'helper'): string | undefined {
  if (mode === 'node' || process.env.PUSH_RELAY_ECDH === 'node') return undefined;
  const explicit = process.env.PUSH_RELAY_ECDH_HELPER;
  if (explicit) return explicit;
  try {
    const cached = cachedEcdhHelperPath();
    return existsSync(cached) ? cached : undefined;
  } catch {
    return undefined; // the source is not next to the relay (a packaged copy): node:crypto
  }
}

interface Waiter {
  key: Buffer;
  resolve(result: EcdhResult): void;
  reject(error: Error): void;
}

/**
 * ECDH for Web Push through the helper process (ecdh-helper/main.go, Go's crypto/ecdh): one helper per relay
 * process, keys written in batches — every key asked for in the same tick goes in one write, flushed on the
 * next tick (no timer: a lone message waits for nothing) — and answers matched to waiters in order.
 *
 * Never loses a push: when the helper cannot start or dies, what is waiting and everything after is computed on
 * node:crypto (logged once). `close()` kills the helper; if the relay dies instead, the helper reads end of
 * input (and has asked Linux for SIGKILL on its parent's death), so it never outlives the relay.
 */
export class EcdhHelper {
  private child: ChildProcessWithoutNullStreams | undefined;
  /** Waiters whose keys were written, in order; `head` makes the shift O(1). */
  private inFlight: Waiter[] = [];
  private head = 0;
  /** Keys asked for in this tick, written on the next. */
  private batch: Waiter[] = [];
  private flushScheduled = false;
  private partial: Buffer | undefined;
  private closed = false;
  fallbackReason: string | undefined;
  /** Keys answered by the helper and by node:crypto (the fallback), for tests and stats. */
  readonly counts = { helper: 0, node: 0, batches: 0 };

  constructor(
    readonly binary: string,
    private readonly log: (message: string) => void = () => {},
  ) {
    try {
      const child = spawn(binary, [], {
        stdio: ['pipe', 'pipe', 'pipe'],
        // One OS thread does the math; Go's scheduler threads beyond it would only contend with the relay.
        env: { ...process.env, GOMAXPROCS: '1' },
      });
      this.child = child;
      child.once('error', (error) => this.fallBack(`ecdh helper ${binary}: ${error.message}`));
      // 'close', not 'exit': answers written before a crash are still read and delivered first.
      child.once('close', (code, signal) => {
        if (!this.closed) this.fallBack(`ecdh helper exited (${signal ?? `code ${code}`})`);
      });
      child.stdin.on('error', () => {}); // EPIPE after a death: 'exit' handles it
      child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
      child.stderr.on('data', (chunk: Buffer) => this.log(`ecdh helper: ${chunk.toString('utf8').trimEnd()}`));
    } catch (error) {
      this.fallBack(`ecdh helper ${binary}: ${(error as Error).message}`);
    }
  }

  /** The helper's pid while it runs (tests look for orphans by it). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  derive(uaPublic: Buffer): Promise<EcdhResult> {
    if (this.fallbackReason !== undefined || this.closed) {
      this.counts.node++;
      return Promise.resolve(nodeEcdh(uaPublic));
    }
    return new Promise<EcdhResult>((resolve, reject) => {
      this.batch.push({ key: uaPublic, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        process.nextTick(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    if (this.fallbackReason !== undefined || !this.child) {
      for (const waiter of batch) this.settleOnNode(waiter);
      return;
    }
    const buffer = Buffer.allocUnsafe(batch.length * KEY_SIZE);
    for (let i = 0; i < batch.length; i++) {
      const key = batch[i]!.key;
      // A key of another length would shift every later answer: such keys never reach the helper.
      if (key.length === KEY_SIZE) key.copy(buffer, i * KEY_SIZE);
      else buffer.fill(0, i * KEY_SIZE, (i + 1) * KEY_SIZE);
    }
    for (const waiter of batch) this.inFlight.push(waiter);
    this.counts.batches++;
    this.child.stdin.write(buffer);
  }

  private onData(chunk: Buffer): void {
    const data = this.partial ? Buffer.concat([this.partial, chunk]) : chunk;
    let offset = 0;
    while (data.length - offset >= ANSWER_SIZE) {
      const waiter = this.inFlight[this.head];
      if (!waiter) break; // more answers than questions: cannot happen with a working helper
      this.inFlight[this.head++] = undefined as unknown as Waiter;
      if (this.head === this.inFlight.length) {
        this.inFlight = [];
        this.head = 0;
      } else if (this.head > 4096 && this.head * 2 > this.inFlight.length) {
        this.inFlight = this.inFlight.slice(this.head);
        this.head = 0;
      }
      if (data[offset] === 0) {
        // The helper's answer for a key that is not a P-256 point; node:crypto throws for it just the same.
        waiter.reject(new Error('ecdh: the public key is not a valid P-256 point'));
      } else {
        // Views into the chunk, not copies: the encryption uses them at once and then lets go.
        this.counts.helper++;
        waiter.resolve({
          senderPublic: data.subarray(offset, offset + 65),
          sharedSecret: data.subarray(offset + 65, offset + ANSWER_SIZE),
        });
      }
      offset += ANSWER_SIZE;
    }
    this.partial = offset < data.length ? Buffer.from(data.subarray(offset)) : undefined;
  }

  private settleOnNode(waiter: Waiter): void {
    this.counts.node++;
    try {
      waiter.resolve(nodeEcdh(waiter.key));
    } catch (error) {
      waiter.reject(error as Error);
    }
  }

  /** The helper is gone: what waits for it, and everything after, goes through node:crypto. */
  private fallBack(reason: string): void {
    if (this.fallbackReason !== undefined) return;
    this.fallbackReason = reason;
    this.log(`${reason}; Web Push ECDH continues on node:crypto`);
    const waiting = this.inFlight.slice(this.head);
    this.inFlight = [];
    this.head = 0;
    this.partial = undefined;
    for (const waiter of waiting) this.settleOnNode(waiter);
    this.child?.kill('SIGKILL');
  }

  /** Stops the helper; keys still waiting are answered on node:crypto, later ones too. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.stdin.end();
      child.kill('SIGTERM');
    }
    const waiting = [...this.inFlight.slice(this.head), ...this.batch];
    this.inFlight = [];
    this.head = 0;
    this.batch = [];
    for (const waiter of waiting) this.settleOnNode(waiter);
  }
}
