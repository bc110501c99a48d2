import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { AggregateLedger, PushLedgerEntry } from '../../common/push-api.ts';

/**
 * The push queue and its ledger, in Redis. Every state change of a push is one Lua script, so the queue and
 * the ledger cannot disagree — whichever process dies, wherever:
 *
 *   accept    push hash + ledger counters + stream entries (or a scheduled entry), all or nothing
 *   fan-out   one page of devices → send entries + targets/queued counters + cursor (compare-and-set)
 *   settle    XACK (0 = settled already by another consumer → no-op) + delivered / failed / retry counters
 *   move-due  due retries → send stream, due scheduled pushes → job stream
 *
 * Keys (prefix P): P:jobs (stream, group "fanout": filter recipients), P:sends (stream, group "send": device
 * batches), P:retry and P:scheduled (sorted sets by due time, ms), P:push:<uid> (hash: one push's ledger),
 * P:ledger:<scope> (hash: aggregate ledger; scope "all" always), P:dead (set: dead token keys).
 *
 * Ledger unit: one notification to one device. `targets` counts device messages created (at accept for raw
 * tokens, at fan-out for filters); each ends delivered or failed (by reason); until then it is `queued`
 * (including while it waits for a retry). A push not fanned out yet is counted in `fanout_pending`.
 * Scripts build key names from the prefix, so this needs a single Redis (not a cluster).
 */

const AGGS = `
local P = ARGV[1]
local function aggs(scope)
  local out = { P .. ':ledger:all' }
  if scope ~= '' and scope ~= 'all' then out[2] = P .. ':ledger:' .. scope end
  return out
end
local function incr(keys, field, n)
  if n ~= 0 then for _, k in ipairs(keys) do redis.call('HINCRBY', k, field, n) end end
end
`;

/** ARGV: P, uid, scope, nowMs, ttl, mode (sends|job|scheduled), ntargets, dueMs, entries… */
const ACCEPT = `${AGGS}
local uid, scope, mode, n = ARGV[2], ARGV[3], ARGV[6], tonumber(ARGV[7])
local push = P .. ':push:' .. uid
if redis.call('EXISTS', push) == 1 then return 0 end
local a = aggs(scope)
redis.call('HSET', push, 'created', ARGV[4], 'scope', scope, 'targets', 0, 'queued', 0, 'delivered', 0, 'retries', 0)
incr(a, 'pushes', 1)
if mode == 'sends' then
  redis.call('HSET', push, 'fanout', 0, 'targets', n, 'queued', n)
  incr(a, 'targets', n)
  incr(a, 'queued', n)
  if n == 0 then incr(a, 'no_recipients', 1) end
  for i = 9, #ARGV do redis.call('XADD', P .. ':sends', '*', 'u', uid, 's', scope, 'm', ARGV[i]) end
elseif mode == 'job' then
  redis.call('HSET', push, 'fanout', 1, 'cursor', '')
  incr(a, 'fanout_pending', 1)
  redis.call('XADD', P .. ':jobs', '*', 'u', uid, 's', scope, 'm', ARGV[9])
else
  local member = cjson.encode({ u = uid, s = scope, m = ARGV[9] })
  redis.call('HSET', push, 'fanout', 1, 'cursor', '', 'sched', member)
  incr(a, 'fanout_pending', 1)
  incr(a, 'scheduled', 1)
  redis.call('ZADD', P .. ':scheduled', ARGV[8], member)
end
redis.call('EXPIRE', push, ARGV[5])
return 1
`;

/** ARGV: P, uid, scope, jobEntryId, prevCursor, nextCursor, done, ntargets, entries… */
const FANOUT = `${AGGS}
local uid, scope, entry, n = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[8])
local push = P .. ':push:' .. uid
local jobs = P .. ':jobs'
if redis.call('HGET', push, 'fanout') ~= '1' then
  redis.call('XACK', jobs, 'fanout', entry)
  redis.call('XDEL', jobs, entry)
  return -2
end
if (redis.call('HGET', push, 'cursor') or '') ~= ARGV[5] then return -1 end
local a = aggs(scope)
redis.call('HSET', push, 'cursor', ARGV[6])
if n > 0 then
  redis.call('HINCRBY', push, 'targets', n)
  redis.call('HINCRBY', push, 'queued', n)
  incr(a, 'targets', n)
  incr(a, 'queued', n)
  for i = 9, #ARGV do redis.call('XADD', P .. ':sends', '*', 'u', uid, 's', scope, 'm', ARGV[i]) end
end
if ARGV[7] == '1' then
  redis.call('HSET', push, 'fanout', 0)
  incr(a, 'fanout_pending', -1)
  if tonumber(redis.call('HGET', push, 'targets')) == 0 then incr(a, 'no_recipients', 1) end
  redis.call('XACK', jobs, 'fanout', entry)
  redis.call('XDEL', jobs, entry)
end
return 1
`;

/** ARGV: P, uid, scope, entryId, delivered, nfail, (reason, count)…, nretry, (score, member)…, ndead, key… */
const SETTLE = `${AGGS}
local uid, scope, entry = ARGV[2], ARGV[3], ARGV[4]
local sends = P .. ':sends'
if redis.call('XACK', sends, 'send', entry) == 0 then return 0 end
redis.call('XDEL', sends, entry)
local a = aggs(scope)
local push = P .. ':push:' .. uid
if redis.call('EXISTS', push) == 1 then a[#a + 1] = push end
local delivered = tonumber(ARGV[5])
local settled = delivered
incr(a, 'delivered', delivered)
local i = 6
local nfail = tonumber(ARGV[i])
for j = 1, nfail do
  local c = tonumber(ARGV[i + 2 * j])
  incr(a, 'f:' .. ARGV[i + 2 * j - 1], c)
  settled = settled + c
end
i = i + 2 * nfail + 1
local nretry = tonumber(ARGV[i])
for j = 1, nretry do redis.call('ZADD', P .. ':retry', ARGV[i + 2 * j - 1], ARGV[i + 2 * j]) end
incr(a, 'retries', nretry)
incr(a, 'queued', -settled)
i = i + 2 * nretry + 1
local ndead = tonumber(ARGV[i])
for j = 1, ndead do redis.call('SADD', P .. ':dead', ARGV[i + j]) end
return 1
`;

/** ARGV: P, kind (retry|scheduled), nowMs, limit */
const MOVE_DUE = `${AGGS}
local kind = ARGV[2]
local zkey = P .. ':' .. kind
local stream = P .. (kind == 'retry' and ':sends' or ':jobs')
local items = redis.call('ZRANGEBYSCORE', zkey, '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
for _, item in ipairs(items) do
  local o = cjson.decode(item)
  redis.call('XADD', stream, '*', 'u', o.u, 's', o.s, 'm', o.m)
  redis.call('ZREM', zkey, item)
  if kind == 'scheduled' then
    redis.call('HDEL', P .. ':push:' .. o.u, 'sched')
    incr(aggs(o.s), 'scheduled', -1)
  end
end
return #items
`;

/** ARGV: P, uid. 1 = cancelled, 0 = not scheduled (any more), -1 = unknown push */
const CANCEL = `${AGGS}
local push = P .. ':push:' .. ARGV[2]
if redis.call('EXISTS', push) == 0 then return -1 end
local member = redis.call('HGET', push, 'sched')
if not member then return 0 end
if redis.call('ZREM', P .. ':scheduled', member) == 0 then return 0 end
local a = aggs(redis.call('HGET', push, 'scope') or '')
redis.call('HDEL', push, 'sched')
redis.call('HSET', push, 'fanout', 0, 'cancelled', 1)
incr(a, 'fanout_pending', -1)
incr(a, 'scheduled', -1)
incr(a, 'cancelled', 1)
return 1
`;

interface QueueCommands {
  relayAccept(...args: (string | number)[]): Promise<number>;
  relayFanout(...args: (string | number)[]): Promise<number>;
  relaySettle(...args: (string | number)[]): Promise<number>;
  relayMoveDue(...args: (string | number)[]): Promise<number>;
  relayCancel(...args: (string | number)[]): Promise<number>;
}
type QueueRedis = Redis & QueueCommands;

export interface QueueEntry {
  id: string;
  uid: string;
  scope: string;
  /** JSON: a SendBatch (send stream) or a FanoutJob (job stream). */
  m: string;
  /** Times the entry was delivered to a consumer (>1 after a claim). */
  deliveries?: number;
}

export interface Settlement {
  delivered: number;
  failed: Map<string, number>;
  retries: { dueMs: number; member: string }[];
  deadKeys: string[];
}

function failedOf(hash: Record<string, string>): Record<string, number> {
  const failed: Record<string, number> = {};
  for (const [k, v] of Object.entries(hash)) {
    if (k.startsWith('f:') && Number(v) !== 0) failed[k.slice(2)] = Number(v);
  }
  return failed;
}

const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

function streamEntries(reply: unknown): QueueEntry[] {
  const out: QueueEntry[] = [];
  for (const [id, fields] of (reply ?? []) as [string, string[] | null][]) {
    if (!fields) continue; // deleted while pending: nothing to do (XAUTOCLAIM reports those separately)
    const entry: QueueEntry = { id, uid: '', scope: '', m: '' };
    for (let i = 0; i < fields.length; i += 2) {
      const value = fields[i + 1]!;
      if (fields[i] === 'u') entry.uid = value;
      else if (fields[i] === 's') entry.scope = value;
      else if (fields[i] === 'm') entry.m = value;
    }
    out.push(entry);
  }
  return out;
}

export class PushQueue {
  readonly prefix: string;
  /** Commands and scripts (auto-pipelined). */
  private readonly redis: QueueRedis;
  /** Blocking reads get connections of their own, so they never delay a settle. */
  private readonly blocking: Redis[] = [];
  private readonly url: string;
  readonly consumer = `${hostname()}-${process.pid}`;

  constructor(url: string, prefix: string) {
    this.url = url;
    this.prefix = prefix;
    this.redis = new Redis(url, { enableAutoPipelining: true, lazyConnect: false }) as QueueRedis;
    this.redis.on('error', () => {}); // reconnects by itself; commands fail (and are reported) meanwhile
    this.redis.defineCommand('relayAccept', { numberOfKeys: 0, lua: ACCEPT });
    this.redis.defineCommand('relayFanout', { numberOfKeys: 0, lua: FANOUT });
    this.redis.defineCommand('relaySettle', { numberOfKeys: 0, lua: SETTLE });
    this.redis.defineCommand('relayMoveDue', { numberOfKeys: 0, lua: MOVE_DUE });
    this.redis.defineCommand('relayCancel', { numberOfKeys: 0, lua: CANCEL });
  }

  private key(name: string): string {
    return `${this.prefix}:${name}`;
  }

  /** Creates both consumer groups (and streams); idempotent. */
  async ensureGroups(): Promise<void> {
    for (const [stream, group] of [
      ['jobs', 'fanout'],
      ['sends', 'send'],
    ] as const) {
      try {
        await this.redis.xgroup('CREATE', this.key(stream), group, '0', 'MKSTREAM');
      } catch (error) {
        if (!String(error).includes('BUSYGROUP')) throw error;
      }
    }
  }

  /** Accepts a push: `sends` (raw tokens, entries ready), `job` (filter) or `scheduled` (send_at). */
  async accept(options: {
    uid: string;
    scope: string;
    mode: 'sends' | 'job' | 'scheduled';
    targets: number;
    dueMs?: number;
    entries: string[];
    ttlSeconds: number;
  }): Promise<boolean> {
    const result = await this.redis.relayAccept(
      this.prefix,
      options.uid,
      options.scope,
      Date.now(),
      options.ttlSeconds,
      options.mode,
      options.targets,
      options.dueMs ?? 0,
      ...options.entries,
    );
    return result === 1;
  }

  async fanoutStep(options: {
    entry: QueueEntry;
    prevCursor: string;
    nextCursor: string;
    done: boolean;
    targets: number;
    entries: string[];
  }): Promise<number> {
    return this.redis.relayFanout(
      this.prefix,
      options.entry.uid,
      options.entry.scope,
      options.entry.id,
      options.prevCursor,
      options.nextCursor,
      options.done ? '1' : '0',
      options.targets,
      ...options.entries,
    );
  }

  async cursorOf(uid: string): Promise<string | null> {
    return this.redis.hget(this.key(`push:${uid}`), 'cursor');
  }

  /** Returns false when another consumer settled this entry first (nothing was counted). */
  async settle(entry: QueueEntry, s: Settlement): Promise<boolean> {
    const args: (string | number)[] = [this.prefix, entry.uid, entry.scope, entry.id, s.delivered, s.failed.size];
    for (const [reason, count] of s.failed) args.push(reason, count);
    args.push(s.retries.length);
    for (const r of s.retries) args.push(r.dueMs, r.member);
    args.push(s.deadKeys.length, ...s.deadKeys);
    return (await this.redis.relaySettle(...args)) === 1;
  }

  async moveDue(kind: 'retry' | 'scheduled', limit = 1000): Promise<number> {
    return this.redis.relayMoveDue(this.prefix, kind, Date.now(), limit);
  }

  async cancel(uid: string): Promise<number> {
    return this.redis.relayCancel(this.prefix, uid);
  }

  private blockingConnection(): Redis {
    const connection = new Redis(this.url, { maxRetriesPerRequest: null });
    connection.on('error', () => {});
    this.blocking.push(connection);
    return connection;
  }

  /** A reader of one stream for one consumer: new entries first, then entries abandoned by dead consumers. */
  reader(stream: 'jobs' | 'sends'): {
    read(count: number, blockMs: number): Promise<QueueEntry[]>;
    claim(minIdleMs: number, count: number): Promise<QueueEntry[]>;
  } {
    const group = stream === 'jobs' ? 'fanout' : 'send';
    const connection = this.blockingConnection();
    const key = this.key(stream);
    let claimCursor = '0-0';
    return {
      read: async (count, blockMs) => {
        const reply = (await connection.xreadgroup(
          'GROUP',
          group,
          this.consumer,
          'COUNT',
          count,
          'BLOCK',
          blockMs,
          'STREAMS',
          key,
          '>',
        )) as [string, unknown][] | null;
        return reply ? streamEntries(reply[0]![1]) : [];
      },
      claim: async (minIdleMs, count) => {
        const reply = (await this.redis.xautoclaim(
          key,
          group,
          this.consumer,
          minIdleMs,
          claimCursor,
          'COUNT',
          count,
        )) as [string, unknown, string[]?];
        claimCursor = reply[0];
        const entries = streamEntries(reply[1]);
        for (const e of entries) e.deliveries = 2;
        return entries;
      },
    };
  }

  async isDead(keys: string[]): Promise<boolean[]> {
    if (!keys.length) return [];
    const reply = await this.redis.smismember(this.key('dead'), ...keys);
    return reply.map((v) => v === 1);
  }

  /** A token registered again is alive again (the provider issued it anew). */
  async forgetDead(keys: string[]): Promise<void> {
    if (keys.length) await this.redis.srem(this.key('dead'), ...keys);
  }

  async backlog(): Promise<number> {
    return this.redis.xlen(this.key('sends'));
  }

  async pushLedger(uid: string): Promise<PushLedgerEntry | null> {
    const hash = await this.redis.hgetall(this.key(`push:${uid}`));
    if (!hash.created) return null;
    const queued = Number(hash.queued ?? 0);
    let status: PushLedgerEntry['status'] = 'done';
    if (hash.cancelled === '1') status = 'cancelled';
    else if (hash.sched) status = 'scheduled';
    else if (hash.fanout === '1') status = 'fanout';
    else if (queued > 0) status = 'sending';
    return {
      uid,
      scope: hash.scope ?? '',
      status,
      created_at_ms: Number(hash.created),
      enqueued: Number(hash.targets ?? 0),
      delivered: Number(hash.delivered ?? 0),
      failed: failedOf(hash),
      queued,
      retries: Number(hash.retries ?? 0),
    };
  }

  async aggregate(scope: string): Promise<AggregateLedger> {
    const hash = await this.redis.hgetall(this.key(`ledger:${scope || 'all'}`));
    const n = (field: string) => Number(hash[field] ?? 0);
    const failed = failedOf(hash);
    const enqueued = n('targets');
    return {
      scope: scope || 'all',
      pushes: n('pushes'),
      fanout_pending: n('fanout_pending'),
      scheduled: n('scheduled'),
      cancelled: n('cancelled'),
      no_recipients: n('no_recipients'),
      enqueued,
      delivered: n('delivered'),
      failed,
      queued: n('queued'),
      retries: n('retries'),
      unaccounted: enqueued - n('delivered') - sum(failed) - n('queued'),
    };
  }

  /** Queue sizes, for /api/push_stats and the readiness of drains. */
  async sizes(): Promise<{ jobs: number; sends: number; retry: number; scheduled: number; dead: number }> {
    const [jobs, sends, retry, scheduled, dead] = await Promise.all([
      this.redis.xlen(this.key('jobs')),
      this.redis.xlen(this.key('sends')),
      this.redis.zcard(this.key('retry')),
      this.redis.zcard(this.key('scheduled')),
      this.redis.scard(this.key('dead')),
    ]);
    return { jobs, sends, retry, scheduled, dead };
  }

  async ping(): Promise<boolean> {
    return (await this.redis.ping()) === 'PONG';
  }

  async close(): Promise<void> {
    for (const c of this.blocking) c.disconnect();
    await this.redis.quit().catch(() => {});
  }
}
