import { randomBytes } from 'node:crypto';
import { registerSecret } from '../../common/log.ts';
import { tcpExchangeProbe, waitUntilReady } from '../local/readiness.ts';
import { requireTool } from '../toolchain/tools.ts';
import type { ContainerService } from './container-service.ts';
import type { ContainersRuntime } from './containers-runtime.ts';
import { ensureServiceImage, IMAGE_PATH } from './images.ts';
import { ensureRootfsImage } from './rootfs-image.ts';

export interface StartedRedisContainer {
  url: string;
  password: string;
  version: string;
  container: ContainerService;
}

/**
 * Redis in a container: the image (official name; built here from the Debian `redis-server` and its
 * libraries when absent), the local provider's settings (loopback, per-run password in a config file
 * copied in, no persistence), ready when `AUTH` + `PING` answer PONG.
 */
export class RedisContainer {
  async start(runtime: ContainersRuntime): Promise<StartedRedisContainer> {
    const binary = requireTool('redis-server');
    const image = ensureServiceImage(runtime.engine.cli, 'redis', (name) =>
      ensureRootfsImage(runtime.engine.cli, {
        image: name,
        what: binary.path,
        paths: [],
        executables: [binary.path],
        changes: [`ENV ${IMAGE_PATH}`, 'CMD ["redis-server"]'],
      }),
    );
    const port = await runtime.port('Redis');
    const password = randomBytes(18).toString('base64url');
    registerSecret(password);
    const config = [
      `port ${port}`,
      'bind 127.0.0.1',
      'protected-mode yes',
      `requirepass ${password}`,
      'dir /tmp',
      'save ""',
      'appendonly no',
      'maxclients 10000',
      'daemonize no',
      'loglevel notice',
    ].join('\n');
    const container = await runtime.start({
      name: 'redis',
      image,
      command: ['redis-server', '/etc/redis/redis.conf'],
      files: [{ content: config, target: '/etc/redis/redis.conf', mode: 0o600 }],
    });
    await waitUntilReady(
      container,
      tcpExchangeProbe('127.0.0.1', port, `AUTH ${password}\r\nPING\r\n`, '+PONG', `PING → PONG on 127.0.0.1:${port}`),
      { signal: runtime.signal },
    );
    return {
      url: `redis://:${password}@127.0.0.1:${port}`,
      password,
      version: binary.version ?? 'unknown',
      container,
    };
  }
}
