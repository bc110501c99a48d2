import { httpProbe, waitUntilReady } from '../local/readiness.ts';
import { requireTool } from '../toolchain/tools.ts';
import type { ContainerService } from './container-service.ts';
import type { ContainersRuntime } from './containers-runtime.ts';
import { ensureServiceImage, IMAGE_PATH } from './images.ts';
import { ensureRootfsImage } from './rootfs-image.ts';

export interface StartedNatsContainer {
  url: string;
  monitorUrl: string;
  version: string;
  container: ContainerService;
}

/**
 * NATS in a container: the image (official name `nats:<major.minor>`; built here from the Debian
 * `nats-server` and its libraries when absent), the local provider's settings (127.0.0.1, JetStream on,
 * its store in the container's own /tmp, gone with it), ready when `/healthz` answers 200 — only once
 * JetStream is up, which is what the broker and the `nats_jetstream` consumer need.
 */
export class NatsContainer {
  async start(runtime: ContainersRuntime): Promise<StartedNatsContainer> {
    const binary = requireTool('nats-server');
    const image = ensureServiceImage(runtime.engine.cli, 'nats', (name) =>
      ensureRootfsImage(runtime.engine.cli, {
        image: name,
        what: binary.path,
        paths: [],
        executables: [binary.path],
        // The official image's contract: ENTRYPOINT is the server, arguments are its flags.
        changes: [`ENV ${IMAGE_PATH}`, `ENTRYPOINT ["${binary.path}"]`],
      }),
    );
    const port = await runtime.port('NATS');
    const monitorPort = await runtime.port('NATS monitoring');
    const container = await runtime.start({
      name: 'nats',
      image,
      command: [
        '-a',
        '127.0.0.1',
        '-p',
        String(port),
        '-m',
        String(monitorPort),
        '-js',
        '-sd',
        '/tmp/nats',
        '-n',
        'bench',
      ],
    });
    const monitorUrl = `http://127.0.0.1:${monitorPort}`;
    await waitUntilReady(container, httpProbe(`${monitorUrl}/healthz`), { signal: runtime.signal });
    return { url: `nats://127.0.0.1:${port}`, monitorUrl, version: binary.version ?? 'unknown', container };
  }
}
