import type { CentrifugoNodeEndpoint } from '../../common/stack-types.ts';
import { type CentrifugoConfig, type CentrifugoConfigInput, centrifugoConfig } from '../centrifugo-config.ts';
import { httpProbe, waitUntilReady } from '../local/readiness.ts';
import { nodeConfig } from '../services/centrifugo.ts';
import { CENTRIFUGO_VERSION } from '../versions.ts';
import { ensureCentrifugoImage } from './centrifugo-image.ts';
import type { ContainerService } from './container-service.ts';
import type { ContainersRuntime } from './containers-runtime.ts';
import { ensureServiceImage } from './images.ts';

export interface StartedCentrifugoContainers {
  nodes: (CentrifugoNodeEndpoint & { container: ContainerService })[];
  config: CentrifugoConfig;
  version: string;
  /** SIGKILL to node `index`'s container (a crash); the container stays for `startNode`. */
  killNode(index: number): Promise<void>;
  /** Starts node `index`'s container again (same config, same port); resolves when `/health` answers. */
  startNode(index: number): Promise<void>;
}

/**
 * One or more Centrifugo nodes, a container each, from the image `centrifugo/centrifugo:v6.9.1` (built here
 * from the pinned binary when absent), the generated config copied in, each node on its own loopback
 * port; ready on `/health`. Several nodes share the Redis or NATS broker (the spec checks that).
 */
export class CentrifugoContainers {
  private nodes = 1;
  private readonly input: CentrifugoConfigInput;

  constructor(input: CentrifugoConfigInput) {
    this.input = input;
  }

  withNodes(count: number): this {
    this.nodes = count;
    return this;
  }

  async start(runtime: ContainersRuntime, fixedPorts: number[] = []): Promise<StartedCentrifugoContainers> {
    const image = ensureServiceImage(runtime.engine.cli, 'centrifugo', (name) =>
      ensureCentrifugoImage(runtime.engine.cli, name),
    );
    const config = centrifugoConfig(this.input);
    const ports: number[] = [];
    for (let i = 0; i < this.nodes; i++) ports.push(await runtime.port(`Centrifugo node ${i + 1}`, fixedPorts[i]));
    const ready = (container: ContainerService, port: number) =>
      waitUntilReady(container, httpProbe(`http://127.0.0.1:${port}/health`), { signal: runtime.signal });

    const nodes = await Promise.all(
      ports.map(async (port, index) => {
        const container = await runtime.start({
          name: `centrifugo-${index + 1}`,
          image,
          // The official image's CMD is `centrifugo`, ours has it as ENTRYPOINT: name it, valid for both.
          entrypoint: ['/usr/local/bin/centrifugo'],
          command: ['--config', '/centrifugo/config.json', '--http_server.port', String(port)],
          env: { CENTRIFUGO_NODE_NAME: `node-${index + 1}` },
          files: [
            {
              // As local: with a kafka consumer, each node its own instance id (static group membership).
              content: JSON.stringify(nodeConfig(config, index), null, 2),
              target: '/centrifugo/config.json',
              mode: 0o600,
            },
          ],
        });
        await ready(container, port);
        const httpUrl = `http://127.0.0.1:${port}`;
        return {
          name: `node-${index + 1}`,
          httpUrl,
          wsUrl: `ws://127.0.0.1:${port}/connection/websocket`,
          apiUrl: `${httpUrl}/api`,
          container,
          port,
        };
      }),
    );
    const nodeAt = (index: number) => {
      const node = nodes[index];
      if (!node) throw new Error(`no Centrifugo node ${index + 1}`);
      return node;
    };
    return {
      nodes: nodes.map(({ port: _port, ...node }) => node),
      config,
      version: CENTRIFUGO_VERSION,
      killNode: (index) => nodeAt(index).container.kill(),
      async startNode(index) {
        const node = nodeAt(index);
        if (node.container.running) return;
        await node.container.restart();
        await ready(node.container, node.port);
      },
    };
  }
}
