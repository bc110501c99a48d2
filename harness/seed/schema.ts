import type pg from 'pg';
import { DATASET_TABLES_SQL, SCHEMA_LOCK_KEY } from '../sut/chat-app/index.ts';

/**
 * The seeder's own record next to the app's tables: which dataset (fingerprint) the database holds, so an
 * identical reload is skipped. The tables a dataset fills (users, rooms, memberships) are the chat app's.
 */
const LOADED_DATASET_SQL = `
CREATE TABLE IF NOT EXISTS bench_dataset (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  fingerprint text NOT NULL,
  spec jsonb NOT NULL,
  loaded_at timestamptz NOT NULL DEFAULT now()
);
`;

/** Every table a dataset load needs: the app's dataset tables and the record of what is loaded. */
export const DATASET_SCHEMA_SQL = `${DATASET_TABLES_SQL}${LOADED_DATASET_SQL}`;

/**
 * Creates the dataset tables if missing. Safe from several processes at once (and beside a starting chat app):
 * `CREATE … IF NOT EXISTS` can still collide in the catalog, so it runs under the app's schema lock.
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
