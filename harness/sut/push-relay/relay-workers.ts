import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import type { DeviceStore } from './device-store.ts';
import { resolveEcdhHelper } from './ecdh-helper.ts';
import { FanoutWorker } from './fanout-worker.ts';
import { FcmSender } from './fcm-sender.ts';
import { H2Sessions, installLeanAsyncResourceBind } from './h2-sessions.ts';
import type { PushQueue } from './push-queue.ts';
import type { RelayConfig } from './relay-config.ts';
import { SendWorker } from './send-worker.ts';
import { WebPushSender } from './webpush-sender.ts';

export interface RelayWorkers {
  send: SendWorker;
  fanout: FanoutWorker;
  stop(): Promise<void>;
}

/**
 * Everything that moves pushes after the API accepted them, in one process: fan-out, sending, the movers
 * that bring due retries and scheduled pushes back to the streams; raw HTTP/2 sessions per provider origin, and
 * an undici dispatcher for the rare OAuth token exchange.
 */
export function startRelayWorkers(
  config: RelayConfig,
  queue: PushQueue,
  store: DeviceStore,
  log: (message: string) => void,
): RelayWorkers {
  installLeanAsyncResourceBind();
  const ca = config.caFile ? readFileSync(config.caFile) : undefined;
  const dispatcher = new Agent({
    allowH2: true,
    connections: config.http.connectionsPerOrigin,
    pipelining: config.http.streamsPerConnection,
    maxConcurrentStreams: config.http.streamsPerConnection,
    keepAliveTimeout: 60_000,
    connect: ca ? { ca } : {},
  });
  const timeoutMs = config.workers.requestTimeoutMs;
  const fcmSessions =
    config.fcm && new H2Sessions(new URL(config.fcm.url).origin, config.http.connectionsPerOrigin, ca, timeoutMs);
  const fcm = config.fcm && fcmSessions && new FcmSender(config.fcm, dispatcher, fcmSessions);
  const ecdhHelper = config.webpush && resolveEcdhHelper(config.webpush.ecdh);
  if (config.webpush && !ecdhHelper) {
    log(
      process.env.PUSH_RELAY_ECDH === 'node' || config.webpush.ecdh === 'node'
        ? 'Web Push ECDH on node:crypto (forced)'
        : 'Web Push ECDH on node:crypto: the ecdh helper is not built (`centrifugo-bench setup` builds it)',
    );
  }
  const webpush =
    config.webpush &&
    new WebPushSender({
      ...config.webpush,
      requestTimeoutMs: timeoutMs,
      connectionsPerOrigin: config.http.connectionsPerOrigin,
      ca,
      // One helper per process that sends (each worker process has its own), killed with it.
      ecdhHelper,
      log,
    });

  const send = new SendWorker({
    queue,
    store,
    fcm,
    webpush,
    retry: config.retry,
    concurrency: config.workers.concurrency,
    readCount: config.workers.readCount,
    claimIdleMs: config.workers.claimIdleMs,
    log,
  });
  const fanout = new FanoutWorker({
    queue,
    store,
    pageSize: config.workers.fanoutPageSize,
    batchSize: { fcm: config.fcm?.batchSize ?? 500, webpush: config.webpush?.batchSize ?? 100 },
    claimIdleMs: config.workers.claimIdleMs,
    concurrency: 8,
    maxBacklog: 50_000,
    log,
  });
  void send.start();
  void fanout.start();

  // Movers: every worker process runs them; the scripts are atomic, so they never move an item twice.
  let moving = false;
  const mover = setInterval(async () => {
    if (moving) return;
    moving = true;
    try {
      while ((await queue.moveDue('retry', 1000)) === 1000) {}
      while ((await queue.moveDue('scheduled', 1000)) === 1000) {}
    } catch (error) {
      log(`moving due retries failed: ${(error as Error).message}`);
    } finally {
      moving = false;
    }
  }, 50);

  return {
    send,
    fanout,
    async stop() {
      clearInterval(mover);
      await Promise.all([send.stop(), fanout.stop()]);
      fcmSessions?.close();
      webpush?.close();
      await dispatcher.close().catch(() => {});
    },
  };
}
