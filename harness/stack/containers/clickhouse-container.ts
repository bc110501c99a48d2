import { httpProbe, waitUntilReady } from '../local/readiness.ts';
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

/**
 * The official image's entrypoint contract, the part the harness uses: the server runs with the config in
 * $CLICKHOUSE_CONFIG and any further flags. So the image built here and `clickhouse/clickhouse-server` start
 * the same way.
 */
const ENTRYPOINT = `#!/bin/sh
exec clickhouse-server --config-file="\${CLICKHOUSE_CONFIG:-/etc/clickhouse-server/config.xml}" "$@"
`;

/** The local service's users: `default`, no password, from loopback only (services/clickhouse.ts). */
const USERS = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default><readonly><readonly>1</readonly></readonly></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;

/**
 * The local service's config (the portable minimum 18.16 and current servers both accept: top-level
 * `<yandex>`), with the data in the container's /var/lib/clickhouse (gone with it) and the log on the
 * console, which is the container's log file.
 */
function serverConfig(httpPort: number, tcpPort: number): string {
  return `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <console>1</console>
  </logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>/var/lib/clickhouse/</path>
  <tmp_path>/var/lib/clickhouse/tmp/</tmp_path>
  <user_files_path>/var/lib/clickhouse/user_files/</user_files_path>
  <format_schema_path>/var/lib/clickhouse/format_schemas/</format_schema_path>
  <users_config>${CONFIG_DIR}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>536870912</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
`;
}

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
        { content: serverConfig(httpPort, tcpPort), target: `${CONFIG_DIR}/config.xml`, mode: 0o644 },
        { content: USERS, target: `${CONFIG_DIR}/users.xml`, mode: 0o644 },
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
