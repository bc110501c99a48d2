import pg from 'pg';

/**
 * The app's data a dataset fills — GrandChat's tables (reference/centrifugo.md §7 "Data model") minus what a
 * benchmark never reads: users (Django's auth_user: id + username), rooms with the version and bumped_at
 * the broadcast payload carries, and memberships unique per (room, user). The app owns them; the seeder
 * (harness/seed) fills them, and creates them when it loads a database the app has not started on yet.
 */
export const DATASET_TABLES_SQL = `
CREATE TABLE IF NOT EXISTS chat_user (
  id bigint PRIMARY KEY,
  username varchar(150) NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS chat_room (
  id bigserial PRIMARY KEY,
  name varchar(100) NOT NULL UNIQUE,
  version bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  bumped_at timestamptz NOT NULL DEFAULT now(),
  last_message_id bigint NULL
);
CREATE TABLE IF NOT EXISTS chat_roommember (
  id bigserial PRIMARY KEY,
  room_id bigint NOT NULL REFERENCES chat_room (id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES chat_user (id) ON DELETE CASCADE,
  joined_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (room_id, user_id)
);
CREATE INDEX IF NOT EXISTS chat_roommember_user_id ON chat_roommember (user_id);
`;

/**
 * One lock key for every schema change of the bench database (the app's and the seeder's): concurrent starts
 * must not race on DDL — `CREATE … IF NOT EXISTS` can still collide in the catalog.
 */
export const SCHEMA_LOCK_KEY = 5_318_008;

export interface OutboxTableOptions {
  table: string;
  notificationChannel: string;
}

/**
 * Every table of the app: the dataset's (users, rooms, memberships, above), then messages,
 * the outbox Centrifugo's PostgreSQL consumer reads and deletes (reference/centrifugo.md §1.5: it reads
 * id, method, payload, partition), and GrandChat's CDC table (same columns, never deleted; created for
 * parity, used only by the cdc modes). The trigger NOTIFYs the consumer's channel with the partition, so
 * the consumer wakes at once instead of on its poll interval.
 */
export function chatSchemaSql(outbox: OutboxTableOptions): string {
  const table = pg.escapeIdentifier(outbox.table);
  const index = pg.escapeIdentifier(`${outbox.table}_partition_id`);
  const channel = pg.escapeLiteral(outbox.notificationChannel);
  return `
${DATASET_TABLES_SQL}
CREATE TABLE IF NOT EXISTS chat_message (
  id bigserial PRIMARY KEY,
  room_id bigint NOT NULL REFERENCES chat_room (id) ON DELETE CASCADE,
  user_id bigint NULL REFERENCES chat_user (id) ON DELETE CASCADE,
  content text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS chat_message_room_id_created_at ON chat_message (room_id, created_at);
CREATE TABLE IF NOT EXISTS ${table} (
  id bigserial PRIMARY KEY,
  method text NOT NULL DEFAULT 'publish',
  payload jsonb NOT NULL,
  partition bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ${index} ON ${table} (partition, id);
CREATE TABLE IF NOT EXISTS chat_cdc (
  id bigserial PRIMARY KEY,
  method text NOT NULL DEFAULT 'publish',
  payload jsonb NOT NULL,
  partition bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE OR REPLACE FUNCTION centrifugo_notify_partition_change() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify(${channel}, NEW.partition::text);
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE TRIGGER centrifugo_notify_partition_trigger AFTER INSERT ON ${table}
  FOR EACH ROW EXECUTE FUNCTION centrifugo_notify_partition_change();
`;
}

/** Creates every table, index and trigger if missing; safe from several processes at once. */
export async function ensureChatSchema(databaseUrl: string, outbox: OutboxTableOptions): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'chat-app-schema' });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
    await client.query(chatSchemaSql(outbox));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}
