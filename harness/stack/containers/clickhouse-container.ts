import { httpProbe, waitUntilReady } from '../local/readiness.ts';
import { CLICKHOUSE_USERS, clickHouseConfig } from '../services/clickhouse.ts';
import { requireTool } from '../toolchain/tools.ts';
import type { ContainerService } from './container-service.ts';
import type { ContainersRuntime } from './containers-runtime.ts';
import { ensureServiceImage, IMAGE_PATH } from './images.ts';
import { ensureRootfsImage } from './rootfs-image.ts';

export interface StartedClickHouseContainer {
  /** HTTP interface, what @clickhouse/client and Grafana's plugin speak. */
  url: string;
  version: string;
  container: ContainerService;
}

/** Outside /etc/clickhouse-server: the official image's entrypoint writes a users.d there that would merge into ours. */
const CONFIG_DIR = '/etc/clickhouse-bench';
const DATA_DIR = '/var/lib/clickhouse';

/**
 * The official image's entrypoint contract, the part the harness uses: the server runs with the config in
 * $CLICKHOUSE_CONFIG and any further flags. So the image built here and `clickhouse/clickhouse-server` start
 * the same way.
 */
const ENTRYPOINT = `#!/bin/sh
exec clickhouse-server --config-file="\${CLICKHOUSE_CONFIG:-/etc/clickhouse-server/config.xml}" "$@"
`;

/**
 * ClickHouse in a container: official name `clickhouse/clickhouse-server:<Debian version>` (built here from
 * Debian's `clickhouse-server`, its libraries and the time zone data when absent), the local service's
 * config and users copied in, 127.0.0.1 only; ready when `/ping` answers `Ok.`, as the local service.
 * Not vital, like the local service: it holds results only, so a run goes on without it.
 */
export class ClickHouseContainer {
  async start(runtime: ContainersRuntime): Promise<StartedClickHouseContainer> {
    const binary = requireTool('clickhouse-server');
    const image = ensureServiceImage(runtime.engine.cli, 'clickhouse', (name) =>
      ensureRootfsImage(runtime.engine.cli, {
        image: name,
        what: `${binary.path} (Debian's ClickHouse)`,
        paths: ['/usr/share/zoneinfo'],
        executables: [binary.path, '/bin/sh'],
        files: {
          '/usr/local/bin/entrypoint.sh': { content: ENTRYPOINT, mode: 0o755 },
          '/var/lib/clickhouse/.keep': { content: '' },
        },
        changes: [
          `ENV ${IMAGE_PATH}`,
          'ENV TZ=UTC',
          'ENV CLICKHOUSE_CONFIG=/etc/clickhouse-server/config.xml',
          'ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]',
        ],
      }),
    );
    const httpPort = await runtime.port('ClickHouse HTTP');
    // The native port is unused by the harness but must be free; the server always opens it.
    const tcpPort = await runtime.port('ClickHouse native');
    const container = await runtime.start({
      name: 'clickhouse',
      image,
      // The official image's entrypoint would otherwise add a `default` user without network access.
      env: { CLICKHOUSE_CONFIG: `${CONFIG_DIR}/config.xml`, CLICKHOUSE_SKIP_USER_SETUP: '1' },
      files: [
        {
          // The data in the container's /var/lib/clickhouse (gone with it), the log on the console only.
          content: clickHouseConfig({
            httpPort,
            tcpPort,
            path: `${DATA_DIR}/`,
            home: DATA_DIR,
            usersFile: `${CONFIG_DIR}/users.xml`,
          }),
          target: `${CONFIG_DIR}/config.xml`,
          mode: 0o644,
        },
        { content: CLICKHOUSE_USERS, target: `${CONFIG_DIR}/users.xml`, mode: 0o644 },
      ],
      vital: false,
      // 18.16 waits ~6 s on open keep-alive connections before it exits; its data goes with the container, so
      // a graceful stop keeps nothing: 1 s, then the engine kills it (measured: stack down 8 s → 1–2 s).
      stopTimeoutMs: 1000,
    });
    const url = `http://127.0.0.1:${httpPort}`;
    await waitUntilReady(container, httpProbe(`${url}/ping`, { bodyIncludes: 'Ok.' }), {
      signal: runtime.signal,
      timeoutMs: 90_000,
    });
    return { url, version: binary.version ?? 'unknown', container };
  }
}
