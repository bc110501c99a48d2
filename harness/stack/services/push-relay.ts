import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import webpush from 'web-push';
import { z } from 'zod';
import { UserError } from '../../common/errors.ts';
import { log, registerSecret } from '../../common/log.ts';
import { parseOrExplain } from '../../common/validation.ts';
import { RELAY_VERSION, type RelayConfigInput } from '../../sut/push-relay/index.ts';
import { httpProbe, waitUntilReady } from '../local/readiness.ts';
import type { StartedSut, SutStartContext } from './sut.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const mainFile = path.join(root, 'harness/sut/push-relay/main.ts');

const positive = z.number().int().positive();

/**
 * `pushRelay: {…}` in the stack spec. Every field is optional; defaults suit a laptop run. Retry delays are
 * realistic by default (429 → first retry after 60 s, as FCM asks); fault scenarios shorten them.
 */
export const PushRelayOptionsSchema = z
  .object({
    port: z.number().int().min(1).max(65_535).optional(),
    /**
     * Worker processes besides the API process (0 = workers inside the API process; 'auto' = one per core:
     * a million-push flood went from 149 s to 110 s on 2 cores, harness/engine/push/README.md).
     */
    workerProcesses: z.union([z.number().int().min(0).max(16), z.literal('auto')]).optional(),
    /** Provider requests in flight per worker process. */
    concurrency: positive.max(10_000).optional(),
    readCount: positive.max(1000).optional(),
    fanoutPageSize: positive.max(10_000).optional(),
    fcmBatchSize: positive.max(1000).optional(),
    webpushBatchSize: positive.max(1000).optional(),
    connectionsPerOrigin: positive.max(64).optional(),
    streamsPerConnection: positive.max(1000).optional(),
    claimIdleMs: z.number().int().min(1000).max(86_400_000).optional(),
    requestTimeoutMs: z.number().int().min(100).max(3_600_000).optional(),
    retry: z
      .object({
        maxAttempts: positive.max(100).optional(),
        baseDelayMs: z.number().int().min(0).max(86_400_000).optional(),
        rateLimitedInitialDelayMs: z.number().int().min(0).max(86_400_000).optional(),
        maxDelayMs: z.number().int().min(0).max(86_400_000).optional(),
        maxRetryAfterMs: z.number().int().min(0).max(86_400_000).optional(),
      })
      .strict()
      .optional(),
    maxFcmMessageBytes: z.number().int().min(256).max(1_048_576).optional(),
    maxWebPushPayloadBytes: z.number().int().min(16).max(1_048_576).optional(),
    ledgerTtlSeconds: z.number().int().min(60).max(2_592_000).optional(),
    redisPrefix: z
      .string()
      .regex(/^[a-zA-Z0-9_:.-]+$/)
      .optional(),
    /** VAPID identity; default: a key pair generated per run. */
    vapid: z
      .object({ publicKey: z.string(), privateKey: z.string(), subject: z.string().regex(/^(mailto:|https:)/) })
      .strict()
      .optional(),
  })
  .strict();
export type PushRelayOptions = z.infer<typeof PushRelayOptionsSchema>;

function drop<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The reference push relay (harness/sut/push-relay) as a local process: devices in the stack's PostgreSQL,
 * queue in its Redis, sending to the push sink (FCM credentials file, sink CA) when the stack has one.
 * Its API key is the stack's Centrifugo API key: one key for both APIs, as with Centrifugo PRO.
 */
export async function startPushRelay(context: SutStartContext): Promise<StartedSut> {
  const options = parseOrExplain(PushRelayOptionsSchema, context.options, 'stack spec', 'pushRelay');
  const { runtime, endpoints, secrets } = context;
  if (!endpoints.postgres || !endpoints.redis) {
    throw new UserError('pushRelay needs PostgreSQL and Redis in the stack (they are added when pushRelay is set)');
  }
  const sink = endpoints.pushSink;
  if (sink && !sink.credentialsFile) {
    throw new UserError('the push sink did not publish a credentials file; the relay cannot authenticate to its FCM');
  }
  if (!sink) log.warn('stack', 'pushRelay without pushSink: the relay accepts pushes but has no provider to send to');

  const port = await runtime.port('push relay', options.port);
  const vapid = options.vapid ?? { ...webpush.generateVAPIDKeys(), subject: 'mailto:bench@centrifugo-bench.invalid' };
  registerSecret(vapid.privateKey);

  const config: RelayConfigInput = {
    host: '127.0.0.1',
    port,
    apiKey: secrets.centrifugoApiKey,
    postgresUrl: endpoints.postgres.url,
    redisUrl: endpoints.redis.url,
    redisPrefix: options.redisPrefix,
    caFile: sink?.caFile,
    fcm: sink && {
      url: sink.fcmUrl,
      credentialsFile: sink.credentialsFile!,
      tokenUrl: sink.tokenUrl,
      batchSize: options.fcmBatchSize,
    },
    webpush: sink && {
      vapidPublicKey: vapid.publicKey,
      vapidPrivateKey: vapid.privateKey,
      subject: vapid.subject,
      batchSize: options.webpushBatchSize,
    },
    http: drop({
      connectionsPerOrigin: options.connectionsPerOrigin,
      streamsPerConnection: options.streamsPerConnection,
    }),
    workers: drop({
      processes: options.workerProcesses === 'auto' ? Math.min(16, os.availableParallelism()) : options.workerProcesses,
      concurrency: options.concurrency,
      readCount: options.readCount,
      fanoutPageSize: options.fanoutPageSize,
      claimIdleMs: options.claimIdleMs,
      requestTimeoutMs: options.requestTimeoutMs,
    }),
    retry: options.retry && drop(options.retry),
    limits: drop({
      maxFcmMessageBytes: options.maxFcmMessageBytes,
      maxWebPushPayloadBytes: options.maxWebPushPayloadBytes,
    }),
    ledgerTtlSeconds: options.ledgerTtlSeconds,
  };
  const dir = runtime.dir('push-relay');
  const configFile = path.join(dir, 'relay.json');
  // Mode 0600: the file holds the API key and the database passwords.
  writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });

  const proc = runtime.spawn({
    name: 'push-relay',
    command: process.execPath,
    args: ['--import', 'tsx', mainFile, '--config', configFile],
    cwd: root,
    stopTimeoutMs: 15_000,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(proc, httpProbe(`${url}/health`), { signal: runtime.signal, timeoutMs: 60_000 });
  return { url, version: RELAY_VERSION, process: proc };
}
