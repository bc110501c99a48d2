import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../common/errors.ts';
import { redact } from '../../common/log.ts';
import type { ServiceProcess } from './managed-process.ts';

/** A readiness check that speaks the service's own protocol. Resolves true when the service is ready. */
export interface Probe {
  /** What is awaited, for messages: "GET http://127.0.0.1:8000/health → 200". */
  description: string;
  check(): Promise<boolean>;
}

/**
 * Polls `probe` until it passes. Fails fast, with the service's log tail, when the process exits first
 * or when `timeoutMs` passes: a service that never becomes ready is reported, not waited for forever.
 */
export async function waitUntilReady(
  service: ServiceProcess,
  probe: Probe,
  options: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  // $CENTRIFUGO_BENCH_READY_TIMEOUT (seconds) overrides every service's default, for slow machines.
  const override = Number(process.env.CENTRIFUGO_BENCH_READY_TIMEOUT);
  const timeoutMs = override > 0 ? override * 1000 : (options.timeoutMs ?? 60_000);
  const started = performance.now();
  let interval = options.intervalMs ?? 50;
  while (true) {
    options.signal?.throwIfAborted();
    if (!service.running) {
      const status = service.status;
      throw new UserError(
        `${service.name} exited (${status?.signal ?? `code ${status?.code}`}) before it was ready; ` +
          `its log is ${service.logFile}`,
        { details: service.logTail().map(redact) },
      );
    }
    if (await probe.check().catch(() => false)) return;
    if (performance.now() - started > timeoutMs) {
      throw new UserError(
        `${service.name} did not become ready within ${(timeoutMs / 1000).toFixed(0)}s ` +
          `(waited for: ${probe.description}); its log is ${service.logFile}`,
        { details: service.logTail().map(redact) },
      );
    }
    await sleep(interval);
    interval = Math.min(interval * 1.5, 500);
  }
}

/** An HTTP GET answering `status` (and, optionally, a body containing `bodyIncludes`). */
export function httpProbe(url: string, options: { status?: number; bodyIncludes?: string } = {}): Probe {
  const status = options.status ?? 200;
  return {
    description: `GET ${url} → ${status}${options.bodyIncludes ? ` with "${options.bodyIncludes}"` : ''}`,
    async check() {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = await response.text();
      return response.status === status && (!options.bodyIncludes || body.includes(options.bodyIncludes));
    },
  };
}

/**
 * Opens a TCP connection, writes `send`, and passes when the accumulated reply contains `expect`.
 * Enough to speak RESP (Redis) or NATS's text protocol without a client library.
 */
export function tcpExchangeProbe(host: string, port: number, send: string, expect: string, description: string): Probe {
  return {
    description,
    check: () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect({ host, port });
        let reply = '';
        const done = (ok: boolean) => {
          socket.destroy();
          resolve(ok);
        };
        socket.setTimeout(2000, () => done(false));
        socket.once('error', () => done(false));
        socket.once('connect', () => socket.write(send));
        socket.on('data', (chunk) => {
          reply += chunk.toString('utf8');
          if (reply.includes(expect)) done(true);
        });
        socket.once('end', () => done(reply.includes(expect)));
      }),
  };
}

export function customProbe(description: string, check: () => Promise<boolean>): Probe {
  return { description, check };
}
