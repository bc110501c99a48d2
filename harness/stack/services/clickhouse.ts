import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LocalRuntime } from '../local/local-runtime.ts';
import type { ManagedProcess } from '../local/managed-process.ts';
import { httpProbe, waitUntilReady } from '../local/readiness.ts';
import { requireTool } from '../toolchain/tools.ts';

export interface StartedClickHouse {
  /** HTTP interface, what @clickhouse/client and Grafana's plugin speak. */
  url: string;
  host: string;
  httpPort: number;
  tcpPort: number;
  version: string;
  process: ManagedProcess;
}

/** The users: `default`, no password, from loopback only. Both providers' servers (process, container) use them. */
export const CLICKHOUSE_USERS = `<?xml version="1.0"?>
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
 * The server config of both providers: the portable minimum that 18.16 and current servers both accept
 * (top-level `<yandex>`), 127.0.0.1 only, data in `path`, scratch folders in `home`, users from `usersFile`;
 * the log on the console (a container's log file) and, with `logDir`, in files there as well.
 */
export function clickHouseConfig(options: {
  httpPort: number;
  tcpPort: number;
  path: string;
  home: string;
  usersFile: string;
  logDir?: string;
}): string {
  const { httpPort, tcpPort, home, logDir } = options;
  const logFiles = logDir
    ? `    <log>${path.join(logDir, 'server.log')}</log>\n    <errorlog>${path.join(logDir, 'error.log')}</errorlog>\n`
    : '';
  return `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
${logFiles}    <console>1</console>
  </logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${options.path}</path>
  <tmp_path>${home}/tmp/</tmp_path>
  <user_files_path>${home}/user_files/</user_files_path>
  <format_schema_path>${home}/format_schemas/</format_schema_path>
  <users_config>${options.usersFile}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>536870912</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
`;
}

/**
 * A throwaway ClickHouse server with every path inside the run folder. The generated config is the
 * portable minimum that 18.16 (Debian's package; top-level element `<yandex>`) and current servers
 * both accept. See ../shared/reference/results.md, appendix.
 */
export class ClickHouseService {
  private httpPort: number | undefined;

  withHttpPort(port: number): this {
    this.httpPort = port;
    return this;
  }

  async start(runtime: LocalRuntime): Promise<StartedClickHouse> {
    const binary = requireTool('clickhouse-server');
    const httpPort = await runtime.port('ClickHouse HTTP', this.httpPort);
    // The native port is unused by the harness but must be free; the server always opens it.
    const tcpPort = await runtime.port('ClickHouse native');
    const dir = runtime.dir('clickhouse');
    const usersFile = path.join(dir, 'users.xml');
    writeFileSync(usersFile, CLICKHOUSE_USERS);
    const configFile = path.join(dir, 'config.xml');
    writeFileSync(
      configFile,
      clickHouseConfig({ httpPort, tcpPort, path: `${dir}/data/`, home: dir, usersFile, logDir: dir }),
    );
    const proc = runtime.spawn({
      name: 'clickhouse',
      command: binary.path,
      args: [`--config-file=${configFile}`],
      cwd: dir,
      // It holds results only: a run goes on without it (the live writer never blocks, files are the record).
      vital: false,
    });
    const url = `http://127.0.0.1:${httpPort}`;
    await waitUntilReady(proc, httpProbe(`${url}/ping`, { bodyIncludes: 'Ok.' }), {
      signal: runtime.signal,
      timeoutMs: 90_000,
    });
    return { url, host: '127.0.0.1', httpPort, tcpPort, version: binary.version ?? 'unknown', process: proc };
  }
}
