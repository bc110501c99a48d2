import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { registerSecret } from '../../common/log.ts';
import type { LocalRuntime } from '../local/local-runtime.ts';
import type { ManagedProcess } from '../local/managed-process.ts';
import { tcpExchangeProbe, waitUntilReady } from '../local/readiness.ts';
import { requireTool } from '../toolchain/tools.ts';

export interface StartedRedis {
  url: string;
  host: string;
  port: number;
  password: string;
  version: string;
  process: ManagedProcess;
}

/**
 * A throwaway Redis: loopback only, no persistence (a benchmark measures pub/sub and streams, not disk),
 * a per-run password kept in a config file (not on the command line, where `ps` would show it).
 */
export class RedisService {
  private port: number | undefined;

  withPort(port: number): this {
    this.port = port;
    return this;
  }

  async start(runtime: LocalRuntime): Promise<StartedRedis> {
    const binary = requireTool('redis-server');
    const port = await runtime.port('Redis', this.port);
    const dir = runtime.dir('redis');
    const password = randomBytes(18).toString('base64url');
    registerSecret(password);
    const configFile = path.join(dir, 'redis.conf');
    writeFileSync(
      configFile,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        'protected-mode yes',
        `requirepass ${password}`,
        `dir ${dir}`,
        'save ""',
        'appendonly no',
        'maxclients 10000',
        'daemonize no',
        'loglevel notice',
      ].join('\n'),
      { mode: 0o600 },
    );
    const proc = runtime.spawn({ name: 'redis', command: binary.path, args: [configFile] });
    await waitUntilReady(
      proc,
      tcpExchangeProbe('127.0.0.1', port, `AUTH ${password}\r\nPING\r\n`, '+PONG', `PING → PONG on 127.0.0.1:${port}`),
      { signal: runtime.signal },
    );
    return {
      url: `redis://:${password}@127.0.0.1:${port}`,
      host: '127.0.0.1',
      port,
      password,
      version: binary.version ?? 'unknown',
      process: proc,
    };
  }
}
