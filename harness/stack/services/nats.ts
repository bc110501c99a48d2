import type { LocalRuntime } from '../local/local-runtime.ts';
import type { ManagedProcess } from '../local/managed-process.ts';
import { httpProbe, waitUntilReady } from '../local/readiness.ts';
import { requireTool } from '../toolchain/tools.ts';

export interface StartedNats {
  url: string;
  host: string;
  port: number;
  monitorUrl: string;
  version: string;
  process: ManagedProcess;
}

/** A throwaway NATS server with JetStream (the `nats_jetstream` consumer and the NATS broker need it). */
export class NatsService {
  private port: number | undefined;

  withPort(port: number): this {
    this.port = port;
    return this;
  }

  async start(runtime: LocalRuntime): Promise<StartedNats> {
    const binary = requireTool('nats-server');
    const port = await runtime.port('NATS', this.port);
    const monitorPort = await runtime.port('NATS monitoring');
    const dir = runtime.dir('nats');
    const proc = runtime.spawn({
      name: 'nats',
      command: binary.path,
      args: ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-js', '-sd', dir, '-n', 'bench'],
    });
    const monitorUrl = `http://127.0.0.1:${monitorPort}`;
    // /healthz answers 200 only once JetStream is up, which is what the consumers need.
    await waitUntilReady(proc, httpProbe(`${monitorUrl}/healthz`), { signal: runtime.signal });
    return {
      url: `nats://127.0.0.1:${port}`,
      host: '127.0.0.1',
      port,
      monitorUrl,
      version: binary.version ?? 'unknown',
      process: proc,
    };
  }
}
