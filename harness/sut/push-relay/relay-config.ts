import { readFileSync } from 'node:fs';
import { z } from 'zod';

const HOUR_MS = 3_600_000;
/** Longest delay or timeout the relay takes: a push parked longer than a day is a misconfiguration. */
const DAY_MS = 24 * HOUR_MS;

/**
 * The relay's configuration file (JSON, mode 0600: it holds the API key and database passwords), written
 * by its stack service file (harness/stack/services/push-relay.ts) or by hand. Validated at start; a bad
 * file stops the process with one line naming the field.
 */
export const RelayConfigSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(0),
  /** Same check as Centrifugo's HTTP API: `X-API-Key`, `Authorization: apikey …` or `?api_key=`. */
  apiKey: z.string().min(1),
  postgresUrl: z.string().url(),
  redisUrl: z.string().url(),
  /** Prefix of every Redis key, so several relays (or tests) can share one Redis. */
  redisPrefix: z
    .string()
    .regex(/^[a-zA-Z0-9_:.-]+$/)
    .default('push'),
  /** Extra CA certificate (PEM file) to trust for FCM and Web Push endpoints (the sink's per-run CA). */
  caFile: z.string().optional(),
  fcm: z
    .strictObject({
      /** Base URL of the FCM v1 API: `https://fcm.googleapis.com/v1`, or the sink's `fcmUrl`. */
      url: z.string().url(),
      /** Google service-account JSON; its `token_uri` is where the JWT-bearer grant goes. */
      credentialsFile: z.string(),
      /** Overrides `token_uri` from the credentials file. */
      tokenUrl: z.string().url().optional(),
      /** Overrides `project_id` from the credentials file. */
      projectId: z.string().optional(),
      /** Devices per fan-out batch (Centrifugo PRO's `tokens_batch_size`). */
      batchSize: z.number().int().min(1).max(1000).default(500),
    })
    .optional(),
  webpush: z
    .strictObject({
      /** VAPID key pair (base64url, as `web-push generate-vapid-keys` prints it). */
      vapidPublicKey: z.string().min(80),
      vapidPrivateKey: z.string().min(40),
      subject: z.string().regex(/^(mailto:|https:)/, 'must be a mailto: or https: URL'),
      batchSize: z.number().int().min(1).max(1000).default(100),
      /**
       * Where the per-message ECDH runs: `helper` — the ecdh-helper process setup builds (node:crypto when it is
       * not built or dies); `node` — node:crypto always (A/B runs; so does the env PUSH_RELAY_ECDH=node).
       */
      ecdh: z.enum(['helper', 'node']).default('helper'),
    })
    .optional(),
  /** Outgoing HTTP (FCM and Web Push share it): HTTP/2 when the server offers it, long-lived sessions. */
  http: z
    .strictObject({
      connectionsPerOrigin: z.number().int().min(1).max(64).default(2),
      /** Requests in flight per connection (HTTP/2 streams; the server's SETTINGS may lower it). */
      streamsPerConnection: z.number().int().min(1).max(1000).default(100),
    })
    .default({ connectionsPerOrigin: 2, streamsPerConnection: 100 }),
  workers: z
    .strictObject({
      /** Worker processes besides the API process; 0 runs the workers inside the API process. */
      processes: z.number().int().min(0).max(16).default(0),
      /** Provider requests in flight per worker process. */
      concurrency: z.number().int().min(1).max(10_000).default(400),
      /** Most queue entries read per XREADGROUP call (fewer when that many would hold over 2 × concurrency devices). */
      readCount: z.number().int().min(1).max(1000).default(100),
      /** Devices read from PostgreSQL per fan-out step. */
      fanoutPageSize: z.number().int().min(1).max(10_000).default(1000),
      /** A queue entry unacknowledged this long (its worker died) is claimed by another worker. */
      claimIdleMs: z.number().int().min(1000).max(DAY_MS).default(60_000),
      requestTimeoutMs: z.number().int().min(100).max(HOUR_MS).default(15_000),
    })
    .default({
      processes: 0,
      concurrency: 400,
      readCount: 100,
      fanoutPageSize: 1000,
      claimIdleMs: 60_000,
      requestTimeoutMs: 15_000,
    }),
  retry: z
    .strictObject({
      /** Attempts per device message, the first included; then it fails as `retries_exhausted`. */
      maxAttempts: z.number().int().min(1).max(100).default(8),
      /** First backoff after a 5xx or a network error; doubles per attempt, jittered. */
      baseDelayMs: z.number().int().min(0).max(DAY_MS).default(1000),
      /** First backoff after a 429. FCM asks for at least 60 s; scenarios may shorten it. */
      rateLimitedInitialDelayMs: z.number().int().min(0).max(DAY_MS).default(60_000),
      maxDelayMs: z.number().int().min(0).max(DAY_MS).default(600_000),
      /** Retry-After values above this are capped (a misbehaving server cannot park a push for days). */
      maxRetryAfterMs: z.number().int().min(0).max(DAY_MS).default(3_600_000),
    })
    .default({
      maxAttempts: 8,
      baseDelayMs: 1000,
      rateLimitedInitialDelayMs: 60_000,
      maxDelayMs: 600_000,
      maxRetryAfterMs: 3_600_000,
    }),
  limits: z
    .strictObject({
      /** FCM payload limit (the `message` JSON, keys and values), like FCM's 4096 bytes. */
      maxFcmMessageBytes: z.number().int().min(256).max(1_048_576).default(4096),
      /** Web Push plaintext limit: 3993 bytes fit a 4096-byte aes128gcm record (RFC 8291 §4). */
      maxWebPushPayloadBytes: z.number().int().min(16).max(1_048_576).default(3993),
      /** Raw tokens per send_push_notification, and devices per bulk registration call. */
      maxTokensPerPush: z.number().int().min(1).max(1_000_000).default(10_000),
      maxBulkDevices: z.number().int().min(1).max(1_000_000).default(10_000),
    })
    .default({
      maxFcmMessageBytes: 4096,
      maxWebPushPayloadBytes: 3993,
      maxTokensPerPush: 10_000,
      maxBulkDevices: 10_000,
    }),
  /** Per-push ledger entries expire after this long (aggregates are kept). */
  ledgerTtlSeconds: z
    .number()
    .int()
    .min(60)
    .max(30 * 24 * 3600)
    .default(3 * 24 * 3600),
});

export type RelayConfig = z.infer<typeof RelayConfigSchema>;
export type RelayConfigInput = z.input<typeof RelayConfigSchema>;

/** Reads and validates the config file; the error names the first bad field. */
export function loadRelayConfig(file: string): RelayConfig {
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const parsed = RelayConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`invalid relay config ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}
