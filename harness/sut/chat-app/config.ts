import { z } from 'zod';
import { BROADCAST_MODES, MODE_PARTS } from './modes.ts';

/**
 * The chat app's own configuration (a JSON file, mode 0600: it holds the API key, the HMAC secret and the
 * database password). Written by its stack service file (harness/stack/services/chat-app.ts), or by hand.
 */
export const ChatAppConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535),
    mode: z.enum(BROADCAST_MODES),
    databaseUrl: z.string().min(1),
    /** Concurrent transactions; messages to one room serialise on its row lock anyway. */
    poolSize: z.number().int().min(1).max(500).default(16),
    centrifugo: z.strictObject({
      /** `http://host:port/api` of the node the app talks to (GrandChat's CENTRIFUGO_HTTP_API_ENDPOINT). */
      apiUrl: z.string().url(),
      apiKey: z.string().min(1),
      hmacSecret: z.string().min(1),
    }),
    /** Most channels per broadcast call / outbox row / stream entry; more are split (undefined: never). */
    channelsPerCall: z.number().int().min(1).max(1_000_000).optional(),
    /** Concurrent API broadcast calls of one message (after a split). */
    apiConcurrency: z.number().int().min(1).max(256).default(8),
    apiTimeoutMs: z.number().int().min(100).max(3_600_000).default(10_000),
    outbox: z
      .strictObject({
        table: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/)
          .default('chat_outbox'),
        partitions: z.number().int().min(1).max(1024).default(1),
        notificationChannel: z.string().min(1).default('centrifugo_partition_change'),
      })
      .default({ table: 'chat_outbox', partitions: 1, notificationChannel: 'centrifugo_partition_change' }),
    redisStream: z
      .strictObject({
        url: z.string().min(1),
        stream: z.string().min(1),
        /** `XADD MAXLEN ~`: Centrifugo acks but never deletes entries; each entry holds a whole payload. */
        maxLen: z.number().int().min(10).max(10_000_000).default(1000),
      })
      .optional(),
    jetstream: z.strictObject({ url: z.string().min(1), subject: z.string().min(1) }).optional(),
    /**
     * GrandChat's push appendix through the push relay (harness/sut/push-relay, or Centrifugo PRO's push API):
     * a push to the room's topic per message, the room topic bound/unbound on join/leave. Off when absent.
     */
    push: z.strictObject({ relayUrl: z.string().url(), apiKey: z.string().min(1) }).optional(),
    /** `exp` of the tokens the app signs (GrandChat: 120 s connection, 300 s subscription). */
    tokenTtlSeconds: z.number().int().min(10).max(2_592_000).default(3600),
  })
  .strict()
  .superRefine((config, ctx) => {
    const parts = MODE_PARTS[config.mode];
    if (parts.redisStream && !config.redisStream) {
      ctx.addIssue({ code: 'custom', path: ['redisStream'], message: `mode ${config.mode} needs redisStream` });
    }
    if (parts.jetstream && !config.jetstream) {
      ctx.addIssue({ code: 'custom', path: ['jetstream'], message: `mode ${config.mode} needs jetstream` });
    }
  });

export type ChatAppConfig = z.infer<typeof ChatAppConfigSchema>;
export type ChatAppConfigInput = z.input<typeof ChatAppConfigSchema>;
