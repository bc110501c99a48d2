import type pg from 'pg';

/**
 * The tables a dataset lives in — GrandChat's (reference/centrifugo.md §7 "Data model") minus what a
 * benchmark never reads: users (Django's auth_user: id + username), rooms with the version and bumped_at
 * the broadcast payload carries, and memberships unique per (room, user). The chat app adds its own
 * tables (messages, outbox, CDC) next to these, and creates these too when it starts on an empty database.
 */
export const DATASET_SCHEMA_SQL = `
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
CREATE TABLE IF NOT EXISTS bench_dataset (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  fingerprint text NOT NULL,
  spec jsonb NOT NULL,
  loaded_at timestamptz NOT NULL DEFAULT now()
);
`;

/** One lock key for every schema change of the bench database: concurrent starts must not race on DDL. */
export const SCHEMA_LOCK_KEY = 5_318_008;

/**
 * Creates the dataset tables if missing. Safe from several processes at once: `CREATE … IF NOT EXISTS`
 * can still collide in the catalog, so it runs under a transaction-scoped advisory lock.
 */
export async function ensureDatasetSchema(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
    await client.query(DATASET_SCHEMA_SQL);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
