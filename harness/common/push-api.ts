/**
 * The push API on the wire — Centrifugo PRO's push methods (CF:internal/apiproto/api.proto, reference
 * centrifugo.md §6) plus the reference relay's extensions — in one place for both ends: the push flood
 * (harness/engine/push) sends these bodies, the reference relay (harness/sut/push-relay) validates them with
 * these schemas and answers with these results. Field names are PRO's; relay-only extensions are marked.
 *
 * Unknown request fields are ignored, as protojson-based servers tolerate them... except where a typo would
 * silently change meaning (recipient, notification), which are strict so the caller hears about it.
 * No defaults and no transforms: what a client sends is what the server reads (z.input = z.infer).
 */
import { z } from 'zod';

// ── Envelope ─────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Every answer to `POST <url>/api/<method>` (header `X-API-Key`): HTTP 200 with `{"result": …}`, or with
 * `{"error": {"code", "message"}}` — 107 bad request, 104 not found, 108 not available, 113 conflict,
 * 100 internal. A bad or missing key gets a bare 401.
 */
export interface PushApiEnvelope<T> {
  result?: T;
  error?: PushApiErrorBody;
}

export interface PushApiErrorBody {
  code: number;
  message: string;
}

// ── Requests ─────────────────────────────────────────────────────────────────────────────────────────────

export const PROVIDERS = ['fcm', 'webpush', 'hms', 'apns'] as const;
export const SUPPORTED_PROVIDERS = ['fcm', 'webpush'] as const;
export type SupportedProvider = (typeof SUPPORTED_PROVIDERS)[number];
export const PLATFORMS = ['ios', 'android', 'web'] as const;

const strings = z.array(z.string().min(1));
const topicName = z.string().min(1).max(256);
const topicOp = z.enum(['add', 'remove', 'set']);

export const DeviceRegisterSchema = z.object({
  id: z.string().optional(),
  provider: z.enum(PROVIDERS),
  token: z.string().min(1),
  platform: z.enum(PLATFORMS),
  user: z.string().optional(),
  meta: z.record(z.string(), z.string()).optional(),
  topics: z.array(topicName).optional(),
  timezone: z.string().optional(),
  locale: z.string().optional(),
});
export type DeviceRegisterRequest = z.infer<typeof DeviceRegisterSchema>;

/** Relay extension: seeding a large device population in few calls. */
export const DeviceRegisterBulkSchema = z.object({
  devices: z.array(DeviceRegisterSchema.omit({ id: true }).strict()).min(1),
});

export const DeviceFilterSchema = z
  .object({
    ids: strings.optional(),
    users: z.array(z.string()).optional(),
    topics: z.array(topicName).optional(),
    providers: z.array(z.enum(PROVIDERS)).optional(),
    platforms: z.array(z.enum(PLATFORMS)).optional(),
  })
  .strict();
export type DeviceFilter = z.infer<typeof DeviceFilterSchema>;

export const DeviceUpdateSchema = z.object({
  ids: strings.optional(),
  users: z.array(z.string()).optional(),
  user_update: z.object({ user: z.string() }).optional(),
  meta_update: z.object({ meta: z.record(z.string(), z.string()) }).optional(),
  topics_update: z.object({ op: topicOp, topics: z.array(topicName) }).optional(),
  timezone_update: z.object({ timezone: z.string() }).optional(),
  locale_update: z.object({ locale: z.string() }).optional(),
});
export type DeviceUpdateRequest = z.infer<typeof DeviceUpdateSchema>;

export const DeviceRemoveSchema = z.object({
  ids: strings.optional(),
  users: z.array(z.string()).optional(),
});

const cursorLimit = {
  cursor: z.string().optional(),
  limit: z.number().int().min(0).max(10_000).optional(),
  include_total_count: z.boolean().optional(),
};

export const DeviceListSchema = z.object({
  filter: DeviceFilterSchema.optional(),
  include_meta: z.boolean().optional(),
  include_topics: z.boolean().optional(),
  ...cursorLimit,
});
export type DeviceListRequest = z.infer<typeof DeviceListSchema>;

export const DeviceTopicUpdateSchema = z.object({
  device_id: z.string().min(1),
  op: topicOp,
  topics: z.array(topicName),
});

export const UserTopicUpdateSchema = z.object({
  user: z.string().min(1),
  op: topicOp,
  topics: z.array(topicName),
});

export const UserTopicListSchema = z.object({
  filter: z
    .object({
      users: z.array(z.string()).optional(),
      topics: z.array(topicName).optional(),
      topic_prefix: z.string().optional(),
    })
    .strict()
    .optional(),
  ...cursorLimit,
});
export type UserTopicListRequest = z.infer<typeof UserTopicListSchema>;

/** A browser's `PushSubscription.toJSON()`; Centrifugo PRO takes it as a JSON string. */
export const PushSubscriptionSchema = z.object({
  endpoint: z.string().url().startsWith('https://', 'must be an https:// URL (RFC 8030 push services use HTTPS)'),
  expirationTime: z.number().nullable().optional(),
  keys: z.object({ p256dh: z.string().min(80), auth: z.string().min(16) }),
});
export type PushSubscriptionJson = z.infer<typeof PushSubscriptionSchema>;

export const RecipientSchema = z
  .object({
    filter: DeviceFilterSchema.optional(),
    fcm_tokens: z.array(z.string().min(1)).optional(),
    webpush_tokens: z.array(z.string().min(1)).optional(),
    fcm_topic: z.string().optional(),
    fcm_condition: z.string().optional(),
    hms_tokens: z.array(z.string()).optional(),
    hms_topic: z.string().optional(),
    hms_condition: z.string().optional(),
    apns_tokens: z.array(z.string()).optional(),
  })
  .strict();
export type Recipient = z.infer<typeof RecipientSchema>;

export const NotificationSchema = z
  .object({
    fcm: z
      .object({ message: z.record(z.string(), z.unknown()) })
      .strict()
      .optional(),
    webpush: z
      .object({
        headers: z.record(z.string(), z.string()).optional(),
        payload: z.unknown(),
      })
      .strict()
      .optional(),
    hms: z.unknown().optional(),
    apns: z.unknown().optional(),
    /** Unix seconds after which the relay stops trying (failed as `expired`). */
    expire_at: z.number().int().min(0).optional(),
  })
  .strict();
export type Notification = z.infer<typeof NotificationSchema>;

export const SendPushSchema = z.object({
  recipient: RecipientSchema,
  notification: NotificationSchema,
  uid: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'up to 128 characters of A-Z a-z 0-9 _ . : -')
    .optional(),
  /** Unix seconds; later than now → the push waits in the schedule. */
  send_at: z.number().int().min(0).optional(),
  analytics_uid: z.string().optional(),
  optimize_for_reliability: z.boolean().optional(),
  /** Relay extension: an extra ledger aggregate this push counts in (a run id), besides "all". */
  ledger_scope: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/)
    .optional(),
  limit_strategy: z.unknown().optional(),
  localizations: z.unknown().optional(),
  use_templating: z.boolean().optional(),
  use_meta: z.boolean().optional(),
});
export type SendPushRequest = z.infer<typeof SendPushSchema>;

export const CancelPushSchema = z.object({ uid: z.string().min(1) });

export type DeviceRegisterBulkRequest = z.infer<typeof DeviceRegisterBulkSchema>;
export type DeviceRemoveRequest = z.infer<typeof DeviceRemoveSchema>;
export type UserTopicUpdateRequest = z.infer<typeof UserTopicUpdateSchema>;
export type TopicOp = UserTopicUpdateRequest['op'];

/** Relay extension: `push_ledger_aggregate`; the scope is a push's `ledger_scope` (a run id), "all" by default. */
export interface PushLedgerAggregateRequest {
  scope?: string;
}

// ── Results ──────────────────────────────────────────────────────────────────────────────────────────────

/** Relay extension: `push_ledger`, one push's ledger (unit: one notification to one device). */
export interface PushLedgerEntry {
  uid: string;
  scope: string;
  status: 'scheduled' | 'fanout' | 'sending' | 'done' | 'cancelled';
  created_at_ms: number;
  enqueued: number;
  delivered: number;
  failed: Record<string, number>;
  queued: number;
  retries: number;
}

/**
 * Relay extension: `push_ledger_aggregate`, the ledger of every push in a scope (unit: one notification to
 * one device; `pushes`, `fanout_pending`, `scheduled`, `cancelled` and `no_recipients` count pushes). Another
 * push service may answer it with the same shape; the flood then uses its ledger.
 */
export interface AggregateLedger {
  scope: string;
  /** Pushes accepted. */
  pushes: number;
  /** Pushes whose recipients (a filter) are not resolved into device messages yet. */
  fanout_pending: number;
  /** Pushes waiting for their `send_at`. */
  scheduled: number;
  cancelled: number;
  /** Pushes whose filter matched no device. */
  no_recipients: number;
  /** Device messages created. */
  enqueued: number;
  delivered: number;
  /** Device messages failed for good, by reason. */
  failed: Record<string, number>;
  /** Device messages not settled yet (in a stream, or waiting for a retry). */
  queued: number;
  /** Retries scheduled for device messages (429, 5xx, network). */
  retries: number;
  /** enqueued − delivered − Σfailed − queued over independently kept counters: must be 0. */
  unaccounted: number;
}
