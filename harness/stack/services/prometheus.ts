import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LocalRuntime } from '../local/local-runtime.ts';
import type { ManagedProcess } from '../local/managed-process.ts';
import { httpProbe, waitUntilReady } from '../local/readiness.ts';
import { requireTool } from '../toolchain/tools.ts';

export interface StartedPrometheus {
  /** The HTTP API and UI (`/api/v1/query`, `/-/ready`). */
  url: string;
  /** Where `--out prometheus=<url>` sends samples: the remote-write receiver. */
  remoteWriteUrl: string;
  port: number;
  version: string;
  process: ManagedProcess;
}

/**
 * A throwaway Prometheus (Debian's package: 2.42 in bookworm; remote write is received from 2.33 on) on a
 * loopback port, with its TSDB in the run's temporary folder and the remote-write receiver on. It scrapes
 * nothing: the harness pushes to it, as k6's `experimental-prometheus-rw` output does.
 */
export class PrometheusService {
  private port: number | undefined;

  withPort(port: number): this {
    this.port = port;
    return this;
  }

  async start(runtime: LocalRuntime): Promise<StartedPrometheus> {
    const binary = requireTool('prometheus');
    const port = await runtime.port('Prometheus', this.port);
    const dir = runtime.dir('prometheus');
    // Without --config.file it reads /etc/prometheus/prometheus.yml, which scrapes whatever the package set up.
    const configFile = path.join(dir, 'prometheus.yml');
    writeFileSync(configFile, 'global:\n  evaluation_interval: 1m\nscrape_configs: []\n');
    const proc = runtime.spawn({
      name: 'prometheus',
      command: binary.path,
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-remote-write-receiver',
        '--log.level=warn',
      ],
      cwd: dir,
      // It holds results only: a run goes on without it (the output drops what it cannot send).
      vital: false,
    });
    const url = `http://127.0.0.1:${port}`;
    await waitUntilReady(proc, httpProbe(`${url}/-/ready`), { signal: runtime.signal, timeoutMs: 60_000 });
    return {
      url,
      remoteWriteUrl: `${url}/api/v1/write`,
      port,
      version: binary.version ?? 'unknown',
      process: proc,
    };
  }
}
