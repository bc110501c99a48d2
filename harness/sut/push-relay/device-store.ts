import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ApiError, ApiErrorCode, badRequest } from './api-error.ts';
import {
  type DeviceFilter,
  type DeviceListRequest,
  type DeviceRegisterRequest,
  type DeviceUpdateRequest,
  PushSubscriptionSchema,
  SUPPORTED_PROVIDERS,
  type SupportedProvider,
  type UserTopicListRequest,
} from './api-schemas.ts';

/** One device a push goes to: what a sender needs, nothing more. */
export interface Target {
  /** Device id; absent for raw-token recipients. */
  d?: string;
  p: SupportedProvider;
  /** FCM registration token, or the Web Push subscription JSON string. */
  k: string;
}

/**
 * Devices, device topics and user topics in PostgreSQL. Topics are rows (indexed by topic, then device or
 * user) so fan-out to a topic is an index range scan, paged by device id. A user's topics apply to every
 * device of the user, present and future (PRO's `user_topic_update`).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS push_devices (
  id text PRIMARY KEY,
  provider text NOT NULL,
  token text NOT NULL,
  token_key text NOT NULL,
  platform text NOT NULL,
  user_id text NOT NULL DEFAULT '',
  meta jsonb NOT NULL DEFAULT '{}',
  timezone text NOT NULL DEFAULT '',
  locale text NOT NULL DEFAULT '',
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS push_devices_token_key ON push_devices (provider, token_key);
CREATE INDEX IF NOT EXISTS push_devices_user ON push_devices (user_id, id);
CREATE TABLE IF NOT EXISTS push_device_topics (
  topic text NOT NULL,
  device_id text NOT NULL REFERENCES push_devices (id) ON DELETE CASCADE,
  PRIMARY KEY (topic, device_id)
);
CREATE INDEX IF NOT EXISTS push_device_topics_device ON push_device_topics (device_id);
CREATE TABLE IF NOT EXISTS push_user_topics (
  id text NOT NULL UNIQUE,
  topic text NOT NULL,
  user_id text NOT NULL,
  PRIMARY KEY (topic, user_id)
);
CREATE INDEX IF NOT EXISTS push_user_topics_user ON push_user_topics (user_id, topic);
`;

export interface DeviceItem {
  id: string;
  provider: string;
  token: string;
  platform: string;
  user?: string;
  meta?: Record<string, string>;
  topics?: string[];
  timezone?: string;
  locale?: string;
  created_at: number;
  updated_at: number;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The uniqueness key of a token: FCM tokens as they are; Web Push subscriptions by endpoint. */
export function tokenKey(provider: string, token: string, field = 'token'): string {
  if (provider === 'webpush') return parseSubscription(token, field).endpoint;
  return token;
}

export function parseSubscription(token: string, field: string) {
  let json: unknown;
  try {
    json = JSON.parse(token);
  } catch {
    throw badRequest(`${field}: a webpush token is a PushSubscription JSON string ({"endpoint","keys":{…}})`);
  }
  const parsed = PushSubscriptionSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw badRequest(`${field}: PushSubscription ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

export function checkProvider(provider: string, field: string): asserts provider is SupportedProvider {
  if (!(SUPPORTED_PROVIDERS as readonly string[]).includes(provider)) {
    throw badRequest(`${field}: provider "${provider}" is not supported by this relay (supported: fcm, webpush)`);
  }
}

/** WHERE clauses for a DeviceFilter (AND across fields, OR within a field), appending to `params`. */
function filterWhere(filter: DeviceFilter | undefined, params: unknown[]): string[] {
  const where: string[] = [];
  const add = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (!filter) return where;
  if (filter.ids?.length) where.push(`d.id = ANY(${add(filter.ids)}::text[])`);
  if (filter.users?.length) where.push(`d.user_id = ANY(${add(filter.users)}::text[])`);
  if (filter.providers?.length) where.push(`d.provider = ANY(${add(filter.providers)}::text[])`);
  if (filter.platforms?.length) where.push(`d.platform = ANY(${add(filter.platforms)}::text[])`);
  if (filter.topics?.length) {
    const topics = add(filter.topics);
    where.push(
      `d.id IN (SELECT t.device_id FROM push_device_topics t WHERE t.topic = ANY(${topics}::text[])
        UNION SELECT d2.id FROM push_user_topics u JOIN push_devices d2 ON d2.user_id = u.user_id
        WHERE u.topic = ANY(${topics}::text[]))`,
    );
  }
  return where;
}

export class DeviceStore {
  readonly pool: pg.Pool;

  constructor(url: string, options: { max?: number } = {}) {
    this.pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, application_name: 'push-relay' });
    // An idle client's error (server restart) must not crash the relay; the next query reconnects.
    this.pool.on('error', () => {});
  }

  /** Creates the tables and indexes; safe to run on every start and from several processes. */
  async ensureSchema(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // Serialise concurrent starts: CREATE … IF NOT EXISTS can still race on the catalog.
      await client.query('SELECT pg_advisory_lock(7345021)');
      await client.query(SCHEMA);
    } finally {
      await client.query('SELECT pg_advisory_unlock(7345021)').catch(() => {});
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Runs `fn` in a transaction on one pooled connection: committed if it returns, rolled back if it throws. */
  private async inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Registers a device, replacing its whole state (omitted fields reset). Without `id`, a device with the
   * same token is updated in place (tokens are unique per provider); with `id`, that device is rewritten
   * and must exist (ids are generated by the relay, like PRO's).
   */
  async register(req: DeviceRegisterRequest): Promise<string> {
    checkProvider(req.provider, 'provider');
    const key = tokenKey(req.provider, req.token);
    const now = nowSeconds();
    return this.inTransaction(async (client) => {
      let id: string;
      const values = [
        req.provider,
        req.token,
        key,
        req.platform,
        req.user ?? '',
        JSON.stringify(req.meta ?? {}),
        req.timezone ?? '',
        req.locale ?? '',
        now,
      ];
      if (req.id) {
        const exists = await client.query('SELECT 1 FROM push_devices WHERE id = $1 FOR UPDATE', [req.id]);
        if (!exists.rowCount) throw new ApiError(ApiErrorCode.notFound, `id: no device ${req.id}`);
        // The token moves to this device: another device holding it goes away.
        await client.query('DELETE FROM push_devices WHERE provider = $1 AND token_key = $2 AND id <> $3', [
          req.provider,
          key,
          req.id,
        ]);
        await client.query(
          `UPDATE push_devices SET provider = $1, token = $2, token_key = $3, platform = $4, user_id = $5,
             meta = $6::jsonb, timezone = $7, locale = $8, updated_at = $9 WHERE id = $10`,
          [...values, req.id],
        );
        id = req.id;
      } else {
        const result = await client.query<{ id: string }>(
          `INSERT INTO push_devices (id, provider, token, token_key, platform, user_id, meta, timezone, locale,
             created_at, updated_at)
           VALUES ($10, $1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $9)
           ON CONFLICT (provider, token_key) DO UPDATE SET token = EXCLUDED.token, platform = EXCLUDED.platform,
             user_id = EXCLUDED.user_id, meta = EXCLUDED.meta, timezone = EXCLUDED.timezone,
             locale = EXCLUDED.locale, updated_at = EXCLUDED.updated_at
           RETURNING id`,
          [...values, randomUUID()],
        );
        id = result.rows[0]!.id;
      }
      await client.query('DELETE FROM push_device_topics WHERE device_id = $1', [id]);
      if (req.topics?.length) {
        await client.query(
          'INSERT INTO push_device_topics (topic, device_id) SELECT DISTINCT unnest($1::text[]), $2 ON CONFLICT DO NOTHING',
          [req.topics, id],
        );
      }
      return id;
    });
  }

  /**
   * Relay extension for seeding: registers many devices in one transaction with array parameters (one
   * INSERT for devices, one for topics). Same semantics as `register` without ids; returns ids in order.
   */
  async registerBulk(devices: Omit<DeviceRegisterRequest, 'id'>[]): Promise<string[]> {
    const now = nowSeconds();
    const byKey = new Map<string, number>();
    const keys = devices.map((d, i) => {
      checkProvider(d.provider, `devices[${i}].provider`);
      const key = `${d.provider}\u0000${tokenKey(d.provider, d.token, `devices[${i}].token`)}`;
      byKey.set(key, i); // a token listed twice: the last registration wins, as with sequential calls
      return key;
    });
    const unique = [...byKey.values()].sort((a, b) => a - b);
    const columns = {
      id: [] as string[],
      provider: [] as string[],
      token: [] as string[],
      tokenKey: [] as string[],
      platform: [] as string[],
      user: [] as string[],
      meta: [] as string[],
      timezone: [] as string[],
      locale: [] as string[],
    };
    for (const i of unique) {
      const d = devices[i]!;
      columns.id.push(randomUUID());
      columns.provider.push(d.provider);
      columns.token.push(d.token);
      columns.tokenKey.push(keys[i]!.slice(d.provider.length + 1));
      columns.platform.push(d.platform);
      columns.user.push(d.user ?? '');
      columns.meta.push(JSON.stringify(d.meta ?? {}));
      columns.timezone.push(d.timezone ?? '');
      columns.locale.push(d.locale ?? '');
    }
    return this.inTransaction(async (client) => {
      const inserted = await client.query<{ id: string; provider: string; token_key: string }>(
        `INSERT INTO push_devices (id, provider, token, token_key, platform, user_id, meta, timezone, locale,
           created_at, updated_at)
         SELECT id, provider, token, token_key, platform, user_id, meta::jsonb, timezone, locale, $10, $10
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
           $9::text[]) AS u(id, provider, token, token_key, platform, user_id, meta, timezone, locale)
         ON CONFLICT (provider, token_key) DO UPDATE SET token = EXCLUDED.token, platform = EXCLUDED.platform,
           user_id = EXCLUDED.user_id, meta = EXCLUDED.meta, timezone = EXCLUDED.timezone,
           locale = EXCLUDED.locale, updated_at = EXCLUDED.updated_at
         RETURNING id, provider, token_key`,
        [
          columns.id,
          columns.provider,
          columns.token,
          columns.tokenKey,
          columns.platform,
          columns.user,
          columns.meta,
          columns.timezone,
          columns.locale,
          now,
        ],
      );
      const idByKey = new Map(inserted.rows.map((r) => [`${r.provider}\u0000${r.token_key}`, r.id]));
      const ids = keys.map((k) => idByKey.get(k)!);
      await client.query('DELETE FROM push_device_topics WHERE device_id = ANY($1::text[])', [[...idByKey.values()]]);
      const topicDevice: string[] = [];
      const topicName: string[] = [];
      for (const i of unique) {
        for (const topic of new Set(devices[i]!.topics ?? [])) {
          topicDevice.push(ids[i]!);
          topicName.push(topic);
        }
      }
      if (topicName.length) {
        await client.query(
          'INSERT INTO push_device_topics (topic, device_id) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING',
          [topicName, topicDevice],
        );
      }
      return ids;
    });
  }

  private async targetIds(client: pg.PoolClient, ids?: string[], users?: string[]): Promise<string[]> {
    if (!ids?.length && !users?.length) throw badRequest('ids or users: give at least one device id or user');
    const result = await client.query<{ id: string }>(
      'SELECT id FROM push_devices WHERE id = ANY($1::text[]) OR user_id = ANY($2::text[]) ORDER BY id FOR UPDATE',
      [ids ?? [], users ?? []],
    );
    return result.rows.map((r) => r.id);
  }

  async update(req: DeviceUpdateRequest): Promise<void> {
    return this.inTransaction(async (client) => {
      const ids = await this.targetIds(client, req.ids, req.users);
      if (ids.length) {
        const now = nowSeconds();
        const sets: string[] = ['updated_at = $2'];
        const params: unknown[] = [ids, now];
        if (req.user_update) {
          params.push(req.user_update.user);
          sets.push(`user_id = $${params.length}`);
        }
        if (req.meta_update) {
          params.push(JSON.stringify(req.meta_update.meta));
          sets.push(`meta = $${params.length}::jsonb`);
        }
        if (req.timezone_update) {
          params.push(req.timezone_update.timezone);
          sets.push(`timezone = $${params.length}`);
        }
        if (req.locale_update) {
          params.push(req.locale_update.locale);
          sets.push(`locale = $${params.length}`);
        }
        await client.query(`UPDATE push_devices SET ${sets.join(', ')} WHERE id = ANY($1::text[])`, params);
        if (req.topics_update)
          await applyTopicOp(client, 'device', ids, req.topics_update.op, req.topics_update.topics);
      }
    });
  }

  async remove(ids?: string[], users?: string[]): Promise<void> {
    if (!ids?.length && !users?.length) throw badRequest('ids or users: give at least one device id or user');
    await this.pool.query('DELETE FROM push_devices WHERE id = ANY($1::text[]) OR user_id = ANY($2::text[])', [
      ids ?? [],
      users ?? [],
    ]);
  }

  /** Dead tokens (provider said UNREGISTERED / 404 / 410): their devices go away. */
  async removeByTokenKeys(provider: SupportedProvider, keys: string[]): Promise<number> {
    if (!keys.length) return 0;
    const result = await this.pool.query(
      'DELETE FROM push_devices WHERE provider = $1 AND token_key = ANY($2::text[])',
      [provider, keys],
    );
    return result.rowCount ?? 0;
  }

  async deviceTopicUpdate(deviceId: string, op: 'add' | 'remove' | 'set', topics: string[]): Promise<void> {
    return this.inTransaction(async (client) => {
      const found = await client.query('SELECT 1 FROM push_devices WHERE id = $1 FOR UPDATE', [deviceId]);
      if (!found.rowCount) throw new ApiError(ApiErrorCode.notFound, `device_id: no device ${deviceId}`);
      await applyTopicOp(client, 'device', [deviceId], op, topics);
    });
  }

  async userTopicUpdate(user: string, op: 'add' | 'remove' | 'set', topics: string[]): Promise<void> {
    return this.inTransaction(async (client) => {
      await applyTopicOp(client, 'user', [user], op, topics);
    });
  }

  async userTopicList(
    req: UserTopicListRequest,
  ): Promise<{ items: { id: string; user: string; topic: string }[]; next_cursor?: string; total_count?: number }> {
    const params: unknown[] = [];
    const where: string[] = [];
    const f = req.filter;
    if (f?.users?.length) {
      params.push(f.users);
      where.push(`user_id = ANY($${params.length}::text[])`);
    }
    if (f?.topics?.length) {
      params.push(f.topics);
      where.push(`topic = ANY($${params.length}::text[])`);
    }
    if (f?.topic_prefix) {
      params.push(`${f.topic_prefix.replace(/[\\%_]/g, '\\$&')}%`);
      where.push(`topic LIKE $${params.length}`);
    }
    const countWhere = [...where];
    const countParams = [...params];
    if (req.cursor) {
      params.push(req.cursor);
      where.push(`id > $${params.length}`);
    }
    const limit = req.limit || 100;
    params.push(limit + 1);
    const rows = await this.pool.query<{ id: string; user_id: string; topic: string }>(
      `SELECT id, user_id, topic FROM push_user_topics ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id LIMIT $${params.length}`,
      params,
    );
    const page = rows.rows.slice(0, limit);
    const out: { items: { id: string; user: string; topic: string }[]; next_cursor?: string; total_count?: number } = {
      items: page.map((r) => ({ id: r.id, user: r.user_id, topic: r.topic })),
    };
    if (rows.rows.length > limit) out.next_cursor = page[page.length - 1]!.id;
    if (req.include_total_count) {
      const count = await this.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM push_user_topics ${countWhere.length ? `WHERE ${countWhere.join(' AND ')}` : ''}`,
        countParams,
      );
      out.total_count = Number(count.rows[0]!.n);
    }
    return out;
  }

  async list(req: DeviceListRequest): Promise<{ items: DeviceItem[]; next_cursor?: string; total_count?: number }> {
    const params: unknown[] = [];
    const where = filterWhere(req.filter, params);
    const countWhere = [...where];
    const countParams = [...params];
    if (req.cursor) {
      params.push(req.cursor);
      where.push(`d.id > $${params.length}`);
    }
    const limit = req.limit || 10;
    params.push(limit + 1);
    const topics = req.include_topics
      ? ', ARRAY(SELECT t.topic FROM push_device_topics t WHERE t.device_id = d.id ORDER BY t.topic) AS topics'
      : '';
    const rows = await this.pool.query(
      `SELECT d.id, d.provider, d.token, d.platform, d.user_id, d.meta, d.timezone, d.locale, d.created_at,
         d.updated_at${topics}
       FROM push_devices d ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.id LIMIT $${params.length}`,
      params,
    );
    const page = rows.rows.slice(0, limit);
    const items = page.map((r): DeviceItem => {
      const item: DeviceItem = {
        id: r.id,
        provider: r.provider,
        token: r.token,
        platform: r.platform,
        created_at: Number(r.created_at),
        updated_at: Number(r.updated_at),
      };
      if (r.user_id) item.user = r.user_id;
      if (r.timezone) item.timezone = r.timezone;
      if (r.locale) item.locale = r.locale;
      if (req.include_meta && Object.keys(r.meta).length) item.meta = r.meta;
      if (req.include_topics) item.topics = r.topics;
      return item;
    });
    const out: { items: DeviceItem[]; next_cursor?: string; total_count?: number } = { items };
    if (rows.rows.length > limit) out.next_cursor = page[page.length - 1]!.id;
    if (req.include_total_count) {
      const count = await this.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM push_devices d ${countWhere.length ? `WHERE ${countWhere.join(' AND ')}` : ''}`,
        countParams,
      );
      out.total_count = Number(count.rows[0]!.n);
    }
    return out;
  }

  /**
   * One page of a filter's devices after `cursor` (device id order), restricted to `providers` (those the
   * notification has a payload for). Fan-out walks a filter page by page, so a huge topic never sits in memory.
   */
  async resolvePage(
    filter: DeviceFilter,
    providers: SupportedProvider[],
    cursor: string,
    limit: number,
  ): Promise<Target[]> {
    if (filter.topics?.length && filter.topics.length <= MAX_TOPICS_BY_INDEX) {
      return this.resolveTopicPage(filter, providers, cursor, limit);
    }
    const rows = await this.pool.query<TargetRow>(filterPageQuery(filter, providers, cursor, limit));
    return rows.rows.map(toTarget);
  }

  /**
   * A topic filter's page in two index-driven steps: the next `limit` candidate device ids after the cursor from
   * the topic indexes (`topicCandidatesQuery`), then those devices that pass the rest of the filter
   * (`devicesByIdQuery`, primary-key lookups). When the filter drops candidates the next chunk is read, so a page
   * shorter than `limit` still means the topics are exhausted — what the fan-out worker relies on.
   */
  private async resolveTopicPage(
    filter: DeviceFilter,
    providers: SupportedProvider[],
    cursor: string,
    limit: number,
  ): Promise<Target[]> {
    const page: Target[] = [];
    for (let from = cursor; ; ) {
      const candidates = await this.pool.query<{ id: string }>(topicCandidatesQuery(filter.topics!, from, limit));
      const ids = candidates.rows.map((r) => r.id);
      if (!ids.length) return page;
      const rows = await this.pool.query<TargetRow>(devicesByIdQuery(filter, providers, ids));
      for (const row of rows.rows) {
        page.push(toTarget(row));
        // The candidates after this one are read again for the next page: the cursor is the last device returned.
        if (page.length === limit) return page;
      }
      if (ids.length < limit) return page;
      from = ids[ids.length - 1]!;
    }
  }
}

async function applyTopicOp(
  client: pg.PoolClient,
  owner: 'device' | 'user',
  owners: string[],
  op: 'add' | 'remove' | 'set',
  topics: string[],
): Promise<void> {
  const table = owner === 'device' ? 'push_device_topics' : 'push_user_topics';
  const column = owner === 'device' ? 'device_id' : 'user_id';
  if (op === 'remove') {
    await client.query(`DELETE FROM ${table} WHERE ${column} = ANY($1::text[]) AND topic = ANY($2::text[])`, [
      owners,
      topics,
    ]);
    return;
  }
  if (op === 'set') {
    await client.query(`DELETE FROM ${table} WHERE ${column} = ANY($1::text[]) AND NOT (topic = ANY($2::text[]))`, [
      owners,
      topics,
    ]);
  }
  if (!topics.length) return;
  if (owner === 'device') {
    await client.query(
      `INSERT INTO push_device_topics (topic, device_id)
       SELECT DISTINCT t, o FROM unnest($1::text[]) o CROSS JOIN unnest($2::text[]) t ON CONFLICT DO NOTHING`,
      [owners, topics],
    );
  } else {
    await client.query(
      `INSERT INTO push_user_topics (id, topic, user_id)
       SELECT gen_random_uuid()::text, t, o FROM (SELECT DISTINCT o, t FROM unnest($1::text[]) o
         CROSS JOIN unnest($2::text[]) t) s ON CONFLICT DO NOTHING`,
      [owners, topics],
    );
  }
}

type TargetRow = { id: string; provider: SupportedProvider; token: string };
const toTarget = (r: TargetRow): Target => ({ d: r.id, p: r.provider, k: r.token });

/** Up to this many topics in a filter, fan-out reads them topic by topic from the indexes (`topicPageQuery`). */
const MAX_TOPICS_BY_INDEX = 64;

/** A page of any filter's devices, walked in device-id order (topics as `d.id IN (… UNION …)`). */
export function filterPageQuery(
  filter: DeviceFilter,
  providers: SupportedProvider[],
  cursor: string,
  limit: number,
): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const where = filterWhere(filter, values);
  values.push(providers);
  where.push(`d.provider = ANY($${values.length}::text[])`);
  values.push(cursor);
  where.push(`d.id > $${values.length}`);
  values.push(limit);
  return {
    text: `SELECT d.id, d.provider, d.token FROM push_devices d WHERE ${where.join(' AND ')} ORDER BY d.id LIMIT $${values.length}`,
    values,
  };
}

/**
 * The next `limit` device ids after `cursor` that have one of `topics`, themselves or through their user: per
 * topic, an ordered range scan of `push_device_topics (topic, device_id)` stopping at `limit`, and the devices of
 * the topic's users; then the first `limit` of their union. Those are among the first `limit` of every part, so
 * the chunk is exact, and a chunk shorter than `limit` means every part is exhausted. Each topic is its own
 * parameter (not `= ANY(array)`), so the planner sees its frequency and walks a big topic's index in order rather
 * than fetching and sorting all of it. `filterPageQuery`'s form rebuilt the topic's whole device set and walked
 * every device id up to the page's end, for every page (EXPLAIN ANALYZE of both in the README).
 */
export function topicCandidatesQuery(
  topics: string[],
  cursor: string,
  limit: number,
): { text: string; values: unknown[] } {
  const values: unknown[] = [cursor, limit];
  const parts: string[] = [];
  for (const topic of new Set(topics)) {
    values.push(topic);
    const t = `$${values.length}::text`;
    parts.push(
      `(SELECT device_id AS id FROM push_device_topics WHERE topic = ${t} AND device_id > $1 ORDER BY device_id LIMIT $2)`,
      `(SELECT d.id FROM push_user_topics u JOIN push_devices d ON d.user_id = u.user_id
        WHERE u.topic = ${t} AND d.id > $1 ORDER BY d.id LIMIT $2)`,
    );
  }
  return { text: `SELECT id FROM (${parts.join(' UNION ')}) c ORDER BY id LIMIT $2`, values };
}

/** The devices among `ids` that pass the rest of the filter (topics aside) and have one of `providers`. */
export function devicesByIdQuery(
  filter: DeviceFilter,
  providers: SupportedProvider[],
  ids: string[],
): { text: string; values: unknown[] } {
  const values: unknown[] = [ids, providers];
  const where = filterWhere({ ...filter, topics: undefined }, values);
  where.push('d.id = ANY($1::text[])', 'd.provider = ANY($2::text[])');
  return {
    text: `SELECT d.id, d.provider, d.token FROM push_devices d WHERE ${where.join(' AND ')} ORDER BY d.id`,
    values,
  };
}
