import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { UserError } from '../../common/errors.ts';
import { withoutPassword } from '../../common/urls.ts';
import { migrate } from './migrate.ts';
import { MIGRATIONS, type TableName } from './schema.ts';
import { sqlIdent } from './sql.ts';

export const DEFAULT_DATABASE = 'bench';

/**
 * Settings every request carries. 18.16 quotes 64-bit integers in JSON output by default ("c":"4"),
 * current servers do not: fix it to 0 so both return numbers (µs timestamps stay below 2^53).
 */
export const CLIENT_SETTINGS = { output_format_json_quote_64bit_integers: 0 } as const;

/** A URL (`http://user:pass@host:8123/<database>`), or a client someone made (chDB in tests). */
export type ResultsTarget = string | { client: ClickHouseClient; database?: string };

export interface ResultsDb {
  client: ClickHouseClient;
  database: string;
  /** What to print about the target: the URL without its password. */
  label: string;
  /** `database.table`: the harness qualifies every name, so the client's own database never matters. */
  table(name: TableName): string;
  close(): Promise<void>;
}

export interface ParsedClickHouseUrl {
  url: string;
  username: string;
  password: string;
  database: string;
}

/** `http://user:pass@host:port/db` → client options; the path names the database (default `bench`). */
export function parseClickHouseUrl(raw: string): ParsedClickHouseUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UserError('the ClickHouse URL is not a URL; give e.g. http://127.0.0.1:8123/bench');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(`ClickHouse URL must be http(s):// (the HTTP interface, port 8123), got ${url.protocol}//`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, '')) || DEFAULT_DATABASE;
  sqlIdent(database);
  return {
    url: `${url.protocol}//${url.host}`,
    username: decodeURIComponent(url.username) || 'default',
    password: decodeURIComponent(url.password),
    database,
  };
}

export interface ConnectOptions {
  /** Per-request timeout; the live writer keeps it short so a stuck server never stalls a run. */
  requestTimeoutMs?: number;
  /** Apply pending schema migrations (default true). */
  migrate?: boolean;
}

/** Opens the results database: pings, creates the database and applies migrations. */
export async function connectResults(target: ResultsTarget, options: ConnectOptions = {}): Promise<ResultsDb> {
  let client: ClickHouseClient;
  let database: string;
  let label: string;
  let owned: boolean;
  if (typeof target === 'string') {
    const parsed = parseClickHouseUrl(target);
    client = createClient({
      url: parsed.url,
      username: parsed.username,
      password: parsed.password,
      // Every statement names its database; `default` always exists, so CREATE DATABASE can run.
      database: 'default',
      request_timeout: options.requestTimeoutMs ?? 30_000,
      clickhouse_settings: CLIENT_SETTINGS,
      // The callers report failures themselves (the live writer once per 10 s, not per retry).
      log: { level: ClickHouseLogLevel.OFF },
    });
    database = parsed.database;
    label = withoutPassword(target);
    owned = true;
  } else {
    client = target.client;
    database = sqlIdent(target.database ?? DEFAULT_DATABASE);
    label = `(client) database ${database}`;
    owned = false;
  }
  const db: ResultsDb = {
    client,
    database,
    label,
    table: (name) => `${database}.${name}`,
    close: async () => {
      if (owned) await client.close();
    },
  };
  try {
    const ping = await client.ping();
    if (!ping.success) throw ping.error;
    if (options.migrate ?? true) await migrate(db, MIGRATIONS);
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
  return db;
}
