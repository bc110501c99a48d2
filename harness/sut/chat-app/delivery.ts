import { Redis } from 'ioredis';
import { connect, type JetStreamClient, type NatsConnection, headers as natsHeaders } from 'nats';
import type pg from 'pg';
import { Pool } from 'undici';
import type { ChatAppConfig } from './config.ts';
import { type BroadcastMode, MODE_PARTS } from './modes.ts';
import type { BroadcastCall } from './split-broadcast.ts';

/** What the after-commit part of a broadcast did: one error code per failed call. */
export interface AfterCommitReport {
  ok: boolean;
  calls: number;
  /** Wall time of the after-commit calls, retries included; undefined when the mode has none. */
  durationMs?: number;
  errors: string[];
}

/** How a mode gets a broadcast to Centrifugo: rows inside the transaction, calls after the commit. */
export interface Delivery {
  readonly mode: BroadcastMode;
  /** Whether the mode calls anything after commit (its broadcast time is then measured by the app). */
  readonly hasAfterCommit: boolean;
  /** Largest call body the mode's transports take (NATS max_payload), if any limit. */
  readonly maxCallBytes?: number;
  inTransaction(client: pg.ClientBase, calls: BroadcastCall[]): Promise<void>;
  afterCommit(calls: BroadcastCall[]): Promise<AfterCommitReport>;
  close(): Promise<void>;
}

type Sender = (call: BroadcastCall) => Promise<string | undefined>;

function errorCode(error: unknown): string {
  const e = error as { name?: string; code?: string };
  if (e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (e.code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect_timeout';
  return `net_${e.code ?? e.name ?? 'error'}`;
}

/** GrandChat's `requests` Retry(total=1, status_forcelist=[500, 502, 503, 504]); connection errors too. */
const RETRY_STATUSES = new Set([500, 502, 503, 504]);

/**
 * Centrifugo's HTTP API `broadcast`, as GrandChat calls it: `X-API-Key`, `X-Centrifugo-Error-Mode:
 * transport` (errors as HTTP statuses), one immediate retry on a 5xx or a failed connection. Per-channel
 * errors inside a 200 answer are reported as `channel_error_<code>`.
 */
function apiSender(config: ChatAppConfig): { send: Sender; close(): Promise<void> } {
  const url = new URL(config.centrifugo.apiUrl);
  const path = `${url.pathname.replace(/\/$/, '')}/broadcast`;
  const pool = new Pool(url.origin, {
    connections: 64,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: config.apiTimeoutMs,
    bodyTimeout: config.apiTimeoutMs,
  });
  const headers = {
    'content-type': 'application/json',
    'x-api-key': config.centrifugo.apiKey,
    'x-centrifugo-error-mode': 'transport',
  };
  const send: Sender = async (call) => {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await pool.request({ method: 'POST', path, headers, body: call.body });
        const text = await response.body.text();
        if (response.statusCode !== 200) {
          if (attempt === 0 && RETRY_STATUSES.has(response.statusCode)) continue;
          return `http_${response.statusCode}`;
        }
        const reply = JSON.parse(text) as { result?: { responses?: { error?: { code: number } }[] } };
        const failed = reply.result?.responses?.find((r) => r.error);
        return failed ? `channel_error_${failed.error!.code}` : undefined;
      } catch (error) {
        const code = errorCode(error);
        if (attempt === 0 && code.startsWith('net_')) continue;
        return code;
      }
    }
  };
  return { send, close: () => pool.destroy().catch(() => {}) };
}

/** XADD to the stream Centrifugo's redis_stream consumer reads (command mode: fields method + payload). */
function redisStreamSender(settings: NonNullable<ChatAppConfig['redisStream']>): {
  send: Sender;
  close(): Promise<void>;
} {
  const redis = new Redis(settings.url, { maxRetriesPerRequest: 1, enableOfflineQueue: true });
  redis.on('error', () => {});
  const send: Sender = async (call) => {
    try {
      await redis.xadd(
        settings.stream,
        'MAXLEN',
        '~',
        settings.maxLen,
        '*',
        'method',
        'broadcast',
        'payload',
        call.body,
      );
      return undefined;
    } catch (error) {
      return `redis_${(error as Error).name ?? 'error'}`;
    }
  };
  return {
    send,
    close: () =>
      redis.quit().then(
        () => {},
        () => redis.disconnect(),
      ),
  };
}

/** A JetStream publish (acked by the stream) with header `centrifugo-method: broadcast`. */
async function jetstreamSender(settings: NonNullable<ChatAppConfig['jetstream']>): Promise<{
  send: Sender;
  close(): Promise<void>;
  maxBytes: number;
}> {
  const nc: NatsConnection = await connect({ servers: settings.url, name: 'chat-app', maxReconnectAttempts: -1 });
  const js: JetStreamClient = nc.jetstream();
  const encoder = new TextEncoder();
  const send: Sender = async (call) => {
    const h = natsHeaders();
    h.set('centrifugo-method', 'broadcast');
    try {
      await js.publish(settings.subject, encoder.encode(call.body), { headers: h });
      return undefined;
    } catch (error) {
      const e = error as { code?: string; message?: string };
      return `nats_${e.code ?? 'error'}`;
    }
  };
  // Headers and protocol framing share max_payload with the body: keep a margin.
  const maxBytes = (nc.info?.max_payload ?? 1 << 20) - 1024;
  return { send, close: () => nc.drain().catch(() => nc.close()), maxBytes };
}

/** Runs `send` over `calls` with at most `concurrency` in flight; returns the error codes. */
async function sendAll(calls: BroadcastCall[], send: Sender, concurrency: number): Promise<string[]> {
  const errors: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < calls.length) {
      const code = await send(calls[next++]!);
      if (code) errors.push(code);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, calls.length) }, worker));
  return errors;
}

/** The delivery of `config.mode`: its parts, connected. */
export async function createDelivery(config: ChatAppConfig): Promise<Delivery> {
  const parts = MODE_PARTS[config.mode];
  const senders: { send: Sender; close(): Promise<void>; maxBytes?: number }[] = [];
  if (parts.api) senders.push(apiSender(config));
  if (parts.redisStream) senders.push(redisStreamSender(config.redisStream!));
  if (parts.jetstream) senders.push(await jetstreamSender(config.jetstream!));
  const limits = senders.flatMap((s) => (s.maxBytes ? [s.maxBytes] : []));
  const insertOutbox = `INSERT INTO ${config.outbox.table} (method, payload, partition)
    SELECT 'broadcast', p::jsonb, part FROM unnest($1::text[], $2::int[]) AS t (p, part)`;
  // GrandChat's CDC table: never deleted by anyone; Debezium reads the inserts from the WAL.
  const insertCdc = `INSERT INTO chat_cdc (method, payload, partition)
    SELECT 'broadcast', p::jsonb, part FROM unnest($1::text[], $2::bigint[]) AS t (p, part)`;

  return {
    mode: config.mode,
    hasAfterCommit: senders.length > 0,
    ...(limits.length ? { maxCallBytes: Math.min(...limits) } : {}),
    async inTransaction(client, calls) {
      if (calls.length === 0) return;
      if (parts.outbox) await client.query(insertOutbox, [calls.map((c) => c.body), calls.map((c) => c.partition)]);
      if (parts.cdc) await client.query(insertCdc, [calls.map((c) => c.body), calls.map((c) => c.cdcKey)]);
    },
    async afterCommit(calls) {
      if (senders.length === 0) return { ok: true, calls: calls.length, errors: [] };
      const started = performance.now();
      const errors: string[] = [];
      for (const sender of senders) errors.push(...(await sendAll(calls, sender.send, config.apiConcurrency)));
      return {
        ok: errors.length === 0,
        calls: calls.length,
        durationMs: performance.now() - started,
        errors,
      };
    },
    async close() {
      await Promise.all(senders.map((s) => s.close()));
    },
  };
}
