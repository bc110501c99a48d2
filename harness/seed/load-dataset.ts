import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import pgCopy from 'pg-copy-streams';
import { log } from '../common/log.ts';
import type { Dataset } from './generate-dataset.ts';
import { ensureDatasetSchema } from './schema.ts';

export interface LoadResult {
  /** true: the database already held this dataset (same fingerprint), nothing was written. */
  skipped: boolean;
  fingerprint: string;
  rows: { users: number; rooms: number; memberships: number };
  /** Wall time of each phase and in total, ms. */
  timings: { users: number; rooms: number; memberships: number; analyze: number; total: number };
}

const LOAD_LOCK_KEY = 5_318_009;
const CHUNK_CHARS = 1 << 18;

/** COPY text format: backslash, tab, newline and carriage return are escaped. */
function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!)
    : value;
}

/** Streams `lines` into `COPY <target> FROM STDIN` in chunks of ~256 KiB. */
async function copyLines(client: pg.PoolClient | pg.Client, target: string, lines: Iterable<string>): Promise<void> {
  function* chunks() {
    let chunk = '';
    for (const line of lines) {
      chunk += line;
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  await pipeline(Readable.from(chunks()), client.query(pgCopy.from(`COPY ${target} FROM STDIN`)));
}

/**
 * The dataset is consistent by construction (members are dataset users), so the bulk load skips the
 * per-row foreign-key triggers — they cost more than half of the load — the way pg_dump's
 * `--disable-triggers` does. Needs superuser (the local stack's user is); without it the checks stay on.
 */
async function skipForeignKeyChecks(client: pg.Client): Promise<void> {
  await client.query('SAVEPOINT replica_role');
  try {
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query('RELEASE SAVEPOINT replica_role');
  } catch {
    await client.query('ROLLBACK TO SAVEPOINT replica_role');
  }
}

/**
 * Loads `dataset` into PostgreSQL with COPY, replacing whatever dataset was there (and, through
 * `TRUNCATE … CASCADE`, the messages that referenced it). Idempotent: when the database already holds a
 * dataset with the same fingerprint, nothing is written unless `force`. One transaction: a failed load
 * leaves the previous dataset intact.
 */
export async function loadDataset(
  databaseUrl: string,
  dataset: Dataset,
  options: { force?: boolean } = {},
): Promise<LoadResult> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'centrifugo-bench-seed' });
  await client.connect();
  const started = performance.now();
  const rows = {
    users: dataset.users.length,
    rooms: dataset.rooms.length,
    memberships: dataset.rooms.reduce((n, room) => n + room.memberIds.length, 0),
  };
  const timings = { users: 0, rooms: 0, memberships: 0, analyze: 0, total: 0 };
  const phase = async (name: keyof typeof timings, run: () => Promise<unknown>) => {
    const t0 = performance.now();
    await run();
    timings[name] = Math.round(performance.now() - t0);
  };
  try {
    await ensureDatasetSchema(client);
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOAD_LOCK_KEY]);
    const current = await client.query<{ fingerprint: string }>('SELECT fingerprint FROM bench_dataset');
    if (!options.force && current.rows[0]?.fingerprint === dataset.fingerprint) {
      await client.query('COMMIT');
      timings.total = Math.round(performance.now() - started);
      log.info('seed', `dataset ${dataset.fingerprint.slice(0, 12)} already loaded; nothing to do`);
      return { skipped: true, fingerprint: dataset.fingerprint, rows, timings };
    }
    await skipForeignKeyChecks(client);
    await client.query('TRUNCATE chat_roommember, chat_room, chat_user RESTART IDENTITY CASCADE');
    await phase('users', () =>
      copyLines(
        client,
        'chat_user (id, username)',
        dataset.users.map((u) => `${u.id}\t${copyText(u.username)}\n`),
      ),
    );
    await phase('rooms', async () => {
      await copyLines(
        client,
        'chat_room (id, name)',
        dataset.rooms.map((r) => `${r.id}\t${copyText(r.name)}\n`),
      );
      await client.query(`SELECT setval('chat_room_id_seq', GREATEST((SELECT max(id) FROM chat_room), 1))`);
    });
    await phase('memberships', () => {
      function* memberships() {
        for (const room of dataset.rooms) for (const userId of room.memberIds) yield `${room.id}\t${userId}\n`;
      }
      return copyLines(client, 'chat_roommember (room_id, user_id)', memberships());
    });
    await client.query(
      `INSERT INTO bench_dataset (fingerprint, spec) VALUES ($1, $2)
       ON CONFLICT (singleton) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, spec = EXCLUDED.spec, loaded_at = now()`,
      [dataset.fingerprint, JSON.stringify(dataset.spec)],
    );
    await client.query('COMMIT');
    // Fresh statistics, so the member lookup of a 100-member room uses the index from the first message.
    await phase('analyze', () => client.query('ANALYZE chat_user, chat_room, chat_roommember'));
    timings.total = Math.round(performance.now() - started);
    log.info(
      'seed',
      `loaded ${rows.users} users, ${rows.rooms} rooms, ${rows.memberships} memberships in ${timings.total} ms`,
    );
    return { skipped: false, fingerprint: dataset.fingerprint, rows, timings };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}
