import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { UserError } from '../../common/errors.ts';
import { redact, registerSecret } from '../../common/log.ts';
import type { LocalRuntime } from '../local/local-runtime.ts';
import type { ManagedProcess, ServiceProcess } from '../local/managed-process.ts';
import { customProbe, waitUntilReady } from '../local/readiness.ts';
import { requireTool } from '../toolchain/tools.ts';

export interface StartedPostgres {
  url: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  version: string;
  process: ManagedProcess;
}

/** Server settings of every provider's PostgreSQL: logical WAL for the CDC modes, room for 300 connections. */
export const POSTGRES_SETTINGS: Readonly<Record<string, string>> = {
  wal_level: 'logical',
  max_connections: '300',
  shared_buffers: '256MB',
  max_wal_senders: '4',
  max_replication_slots: '4',
};

/**
 * Waits until the server on 127.0.0.1:`port` answers `SELECT 1` (failing fast if `service` exits), then
 * creates `database`; returns its URL. Both providers' PostgreSQL (process, container) become ready this way.
 */
export async function waitForPostgres(
  service: ServiceProcess,
  login: { port: number; user: string; password: string; database: string },
  signal: AbortSignal | undefined,
): Promise<string> {
  const credentials = `${login.user}:${encodeURIComponent(login.password)}@127.0.0.1:${login.port}`;
  const adminUrl = `postgresql://${credentials}/postgres`;
  await waitUntilReady(
    service,
    customProbe(`SELECT 1 on 127.0.0.1:${login.port}`, async () => {
      const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } finally {
        await client.end().catch(() => {});
      }
    }),
    { signal },
  );
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(login.database)}`);
  } finally {
    await client.end();
  }
  return `postgresql://${credentials}/${login.database}`;
}

/** PostgreSQL refuses to run as root; as root, the cluster belongs to this unprivileged user. */
function unprivilegedOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
      if (uid > 0) return { uid, gid };
    } catch {}
  }
  throw new UserError('running as root, but no unprivileged user (postgres or nobody) exists to run PostgreSQL as');
}

/**
 * A throwaway PostgreSQL cluster: own `initdb` in the run's temporary folder, loopback only, password
 * auth with a per-run password, `wal_level=logical` (CDC modes need it). Stopped with SIGINT ("fast"
 * shutdown): SIGTERM would wait for every client to disconnect.
 */
export class PostgresService {
  private port: number | undefined;
  private database = 'bench';
  private readonly settings: Record<string, string> = { ...POSTGRES_SETTINGS };

  withPort(port: number): this {
    this.port = port;
    return this;
  }

  withDatabase(name: string): this {
    this.database = name;
    return this;
  }

  /** A server setting (`-c name=value`), e.g. `synchronous_commit=off` for a what-if run. */
  withSetting(name: string, value: string): this {
    this.settings[name] = value;
    return this;
  }

  async start(runtime: LocalRuntime): Promise<StartedPostgres> {
    const initdb = requireTool('initdb');
    const postgres = requireTool('postgres');
    const owner = unprivilegedOwner();
    const port = await runtime.port('PostgreSQL', this.port);
    const home = runtime.dir('postgres', owner);
    const dataDir = path.join(home, 'data');
    const password = randomBytes(18).toString('base64url');
    registerSecret(password);
    const pwFile = path.join(home, 'pwfile');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (owner) chownSync(pwFile, owner.uid, owner.gid);
    const user = 'bench';

    const init = await runtime.runToCompletion({
      name: 'postgres-initdb',
      logName: 'postgres',
      command: initdb.path,
      args: ['-D', dataDir, '-U', user, `--pwfile=${pwFile}`, '--auth-host=scram-sha-256', '--auth-local=trust'].concat(
        ['-E', 'UTF8', '--locale=C', '--no-sync'],
      ),
      uid: owner?.uid,
      gid: owner?.gid,
    });
    if (init.status?.code !== 0) {
      throw new UserError(`initdb failed (exit ${init.status?.code}); its log is ${init.logFile}`, {
        details: init.logTail().map(redact),
      });
    }

    const settings = {
      ...this.settings,
      listen_addresses: '127.0.0.1',
      port: String(port),
      unix_socket_directories: home,
    };
    const proc = runtime.spawn({
      name: 'postgres',
      command: postgres.path,
      args: ['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
      uid: owner?.uid,
      gid: owner?.gid,
      stopSignal: 'SIGINT',
    });
    const url = await waitForPostgres(proc, { port, user, password, database: this.database }, runtime.signal);
    return {
      url,
      host: '127.0.0.1',
      port,
      database: this.database,
      user,
      password,
      version: postgres.version ?? 'unknown',
      process: proc,
    };
  }
}
