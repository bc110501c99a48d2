import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { registerSecret } from '../../common/log.ts';
import { POSTGRES_SETTINGS, waitForPostgres } from '../services/postgres.ts';
import { requireTool } from '../toolchain/tools.ts';
import type { ContainerService } from './container-service.ts';
import type { ContainersRuntime } from './containers-runtime.ts';
import { ensureServiceImage, IMAGE_PATH } from './images.ts';
import { ensureRootfsImage } from './rootfs-image.ts';

export interface StartedPostgresContainer {
  url: string;
  password: string;
  version: string;
  container: ContainerService;
}

/**
 * The official image's entrypoint contract, the part the harness uses: an empty $PGDATA is initialised
 * for $POSTGRES_USER with the password in $POSTGRES_PASSWORD_FILE, then the command runs. So the image
 * built here and the official `postgres` image start the same way.
 */
const ENTRYPOINT = `#!/bin/sh
set -e
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$POSTGRES_PASSWORD_FILE" --auth-host=scram-sha-256 \\
    --auth-local=trust -E UTF8 --locale=C --no-sync >/dev/null
fi
exec "$@"
`;

/** Server settings: the local provider's (POSTGRES_SETTINGS), on 127.0.0.1 only. */
const SETTINGS: Record<string, string> = {
  ...POSTGRES_SETTINGS,
  // The image holds no LLVM: no JIT, as with a server where it is not installed.
  jit: 'off',
};

function imageSpec(image: string) {
  const postgres = requireTool('postgres').path;
  const binDir = path.dirname(postgres);
  const libDir = path.join(binDir, '..', 'lib');
  const major = path.basename(path.resolve(binDir, '..'));
  return {
    image,
    what: `${binDir} (Debian's PostgreSQL)`,
    paths: [path.resolve(binDir, '..'), `/usr/share/postgresql/${major}`, '/usr/share/zoneinfo'],
    executables: [
      postgres,
      path.join(binDir, 'initdb'),
      '/bin/sh',
      path.join(libDir, 'plpgsql.so'),
      path.join(libDir, 'pgoutput.so'),
    ],
    files: {
      '/usr/local/bin/docker-entrypoint.sh': { content: ENTRYPOINT, mode: 0o755 },
      '/etc/passwd': { content: 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999::/tmp:/bin/sh\n' },
      '/etc/group': { content: 'root:x:0:\npostgres:x:999:\n' },
    },
    changes: [
      `ENV ${IMAGE_PATH}:${binDir}`,
      'ENV TZ=UTC',
      // As the official image: SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for every client.
      'STOPSIGNAL SIGINT',
      'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
      'CMD ["postgres"]',
    ],
  };
}

/**
 * PostgreSQL in a container: official image name (built here from Debian's binaries when absent), a new
 * cluster per run in the container's own /tmp (gone with it), password auth with a per-run password,
 * the local provider's settings; ready when `SELECT 1` answers, then the `bench` database is created.
 */
export class PostgresContainer {
  private readonly database = 'bench';

  async start(runtime: ContainersRuntime): Promise<StartedPostgresContainer> {
    const image = ensureServiceImage(runtime.engine.cli, 'postgres', (name) =>
      ensureRootfsImage(runtime.engine.cli, imageSpec(name)),
    );
    const port = await runtime.port('PostgreSQL');
    const password = randomBytes(18).toString('base64url');
    registerSecret(password);
    const user = 'bench';
    const settings = { ...SETTINGS, listen_addresses: '127.0.0.1', port: String(port) };
    const container = await runtime.start({
      name: 'postgres',
      image,
      user: 'postgres',
      env: { POSTGRES_USER: user, POSTGRES_PASSWORD_FILE: '/tmp/pgpass', PGDATA: '/tmp/pgdata' },
      files: [{ content: `${password}\n`, target: '/tmp/pgpass', mode: 0o644 }],
      command: [
        'postgres',
        '-c',
        'unix_socket_directories=/tmp',
        ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      ],
      stopTimeoutMs: 10_000,
    });
    const url = await waitForPostgres(container, { port, user, password, database: this.database }, runtime.signal);
    return {
      url,
      password,
      version: requireTool('postgres').version ?? 'unknown',
      container,
    };
  }
}
