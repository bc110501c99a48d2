import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CentrifugoNodeEndpoint } from '../../common/stack-types.ts';
import { type CentrifugoConfig, type CentrifugoConfigInput, centrifugoConfig } from '../centrifugo-config.ts';
import type { LocalRuntime } from '../local/local-runtime.ts';
import type { ManagedProcess } from '../local/managed-process.ts';
import { httpProbe, waitUntilReady } from '../local/readiness.ts';
import { requireTool } from '../toolchain/tools.ts';

export interface StartedCentrifugoNode extends CentrifugoNodeEndpoint {
  port: number;
  process: ManagedProcess;
}

export interface StartedCentrifugo {
  nodes: StartedCentrifugoNode[];
  config: CentrifugoConfig;
  version: string;
  /** Kills node `index` at once (SIGKILL: a crash, not a graceful shutdown). */
  killNode(index: number): Promise<void>;
  /** Starts node `index` again on its port, with the same config; resolves when it is ready. */
  startNode(index: number): Promise<void>;
}

/**
 * One or more Centrifugo nodes from one generated config, each on its own loopback port. Several
 * nodes need a shared broker (engine redis or nats); the stack spec checks that before anything starts.
 */
export class CentrifugoService {
  private nodes = 1;
  private ports: number[] = [];
  private readonly input: CentrifugoConfigInput;

  constructor(input: CentrifugoConfigInput) {
    this.input = input;
  }

  withNodes(count: number): this {
    this.nodes = count;
    return this;
  }

  /** Fixed ports, one per node (default: free ports). */
  withPorts(ports: number[]): this {
    this.ports = ports;
    return this;
  }

  async start(runtime: LocalRuntime): Promise<StartedCentrifugo> {
    const binary = requireTool('centrifugo');
    const config = centrifugoConfig(this.input);
    const dir = runtime.dir('centrifugo');
    const configFile = path.join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });

    const ports: number[] = [];
    for (let i = 0; i < this.nodes; i++) ports.push(await runtime.port(`Centrifugo node ${i + 1}`, this.ports[i]));
    const configFiles = ports.map((_, index) => nodeConfigFile(dir, configFile, config, index));

    const spawnNode = (index: number): ManagedProcess =>
      runtime.spawn({
        name: `centrifugo-${index + 1}`,
        command: binary.path,
        args: ['-c', configFiles[index]!, '--http_server.port', String(ports[index])],
        env: { CENTRIFUGO_NODE_NAME: `node-${index + 1}` },
        // Centrifugo reads every CENTRIFUGO_* variable as configuration: the generated file alone decides.
        dropInheritedEnv: /^CENTRIFUGO_/,
        cwd: dir,
      });
    const ready = (proc: ManagedProcess, port: number) =>
      waitUntilReady(proc, httpProbe(`http://127.0.0.1:${port}/health`), { signal: runtime.signal });

    const nodes: StartedCentrifugoNode[] = ports.map((port, index) => {
      const httpUrl = `http://127.0.0.1:${port}`;
      return {
        name: `node-${index + 1}`,
        port,
        httpUrl,
        wsUrl: `ws://127.0.0.1:${port}/connection/websocket`,
        apiUrl: `${httpUrl}/api`,
        process: spawnNode(index),
      };
    });
    await Promise.all(nodes.map((node) => ready(node.process, node.port)));

    return {
      nodes,
      config,
      version: binary.version ?? 'unknown',
      async killNode(index) {
        const node = nodes[index];
        if (!node) throw new Error(`no Centrifugo node ${index + 1}`);
        await node.process.stop({ signal: 'SIGKILL' });
      },
      async startNode(index) {
        const node = nodes[index];
        if (!node) throw new Error(`no Centrifugo node ${index + 1}`);
        if (node.process.running) return;
        node.process = spawnNode(index);
        await ready(node.process, node.port);
      },
    };
  }
}

/**
 * The config node `index` runs with: the shared one, unless the config has kafka consumers — then a copy
 * whose consumers carry `instance_id: node-<n>`: Kafka static group membership, so a node that restarts takes
 * its partitions back at once instead of waiting for the group to expire its old member (franz-go's session
 * timeout, 45 s), as a deployment with stable pod names would. (The containers provider copies it in.)
 */
export function nodeConfig(config: CentrifugoConfig, index: number): CentrifugoConfig {
  const consumers = (config.consumers ?? []) as { type: string; kafka?: Record<string, unknown> }[];
  if (!consumers.some((c) => c.type === 'kafka')) return config;
  return {
    ...config,
    consumers: consumers.map((c) =>
      c.type === 'kafka' ? { ...c, kafka: { ...c.kafka, instance_id: `node-${index + 1}` } } : c,
    ),
  } as CentrifugoConfig;
}

/** The file of `nodeConfig`: the shared file when the node's config is the shared one. */
function nodeConfigFile(dir: string, shared: string, config: CentrifugoConfig, index: number): string {
  const own = nodeConfig(config, index);
  if (own === config) return shared;
  const file = path.join(dir, `config-node-${index + 1}.json`);
  writeFileSync(file, JSON.stringify(own, null, 2), { mode: 0o600 });
  return file;
}
