import { z } from 'zod';
import { nowUs } from './clock.ts';
import { fcmToken } from './device-tokens.ts';
import type { ControlCall } from './protocol.ts';
import { jsonReply, type SinkReply } from './reply.ts';
import type { SinkContext } from './sink-context.ts';
import { webPushSubscription } from './subscriptions.ts';

/**
 * The control API under `/__sink` (README "Control API"). Minting is pure computation and answered by the
 * worker itself; everything that concerns every worker or the files goes to the primary process.
 */

/** Both mint calls: where the minted run of ids starts, and whether they are minted dead. */
const mintedRange = {
  start: z
    .number()
    .int()
    .min(0)
    .max(2 ** 47)
    .default(0),
  dead: z.boolean().default(false),
};

const MintTokensSchema = z
  .object({
    count: z.number().int().min(1).max(100_000),
    ...mintedRange,
    project: z.string().min(1).optional(),
  })
  .strict();

const MintSubscriptionsSchema = z
  .object({
    count: z.number().int().min(1).max(10_000),
    ...mintedRange,
    expiresInSeconds: z
      .number()
      .int()
      .min(1)
      .max(10 * 365 * 86_400)
      .optional(),
    applicationServerKey: z
      .string()
      .refine((k) => {
        const raw = Buffer.from(k, 'base64url');
        return raw.length === 65 && raw[0] === 4;
      }, 'a base64url uncompressed P-256 public key (65 bytes, starting 0x04)')
      .optional(),
  })
  .strict();

function badRequest(message: string): SinkReply {
  return jsonReply(400, { error: message });
}

function parse<S extends z.ZodType>(
  schema: S,
  body: Buffer,
): { ok: true; value: z.infer<S> } | { ok: false; reply: SinkReply } {
  let raw: unknown;
  try {
    raw = body.length ? JSON.parse(body.toString('utf8')) : {};
  } catch (error) {
    return { ok: false, reply: badRequest(`body: not JSON (${(error as Error).message})`) };
  }
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : '(body)';
  return { ok: false, reply: badRequest(`${field}: ${issue?.message ?? 'invalid'}`) };
}

export type ForwardToPrimary = (call: ControlCall) => Promise<SinkReply>;

export function handleControl(
  ctx: SinkContext,
  method: string,
  url: URL,
  body: Buffer,
  forward: ForwardToPrimary,
): SinkReply | Promise<SinkReply> {
  const route = `${method} ${url.pathname.replace(/\/+$/, '')}`;
  switch (route) {
    case 'POST /__sink/fcm/tokens': {
      const req = parse(MintTokensSchema, body);
      if (!req.ok) return req.reply;
      const { count, start, dead, project } = req.value;
      const tokens: string[] = [];
      for (let i = start; i < start + count; i++) tokens.push(fcmToken(ctx.key, project ?? ctx.projectId, i, { dead }));
      return jsonReply(200, { start, count, tokens });
    }
    case 'POST /__sink/webpush/subscriptions': {
      const req = parse(MintSubscriptionsSchema, body);
      if (!req.ok) return req.reply;
      const { count, start, dead, expiresInSeconds, applicationServerKey } = req.value;
      const expiresAt = expiresInSeconds ? Math.floor(Date.now() / 1000) + expiresInSeconds : undefined;
      const subscriptions = [];
      for (let i = start; i < start + count; i++) {
        subscriptions.push(webPushSubscription(ctx.key, ctx.origin, i, { dead, expiresAt, applicationServerKey }));
      }
      return jsonReply(200, { start, count, subscriptions });
    }
    case 'GET /__sink/clock':
      // The sink's clock, answered by the worker at once (every process reads the same CLOCK_MONOTONIC): a
      // sharded flood estimates its offset to it NTP-style and stamps `bench_t` on it (engine/push/flood-shard.ts).
      return jsonReply(200, { nowUs: nowUs() });
    case 'GET /__sink/stats':
      return forward({ op: 'stats' });
    case 'POST /__sink/stats/reset':
      return forward({ op: 'reset' });
    case 'GET /__sink/info':
      return forward({ op: 'info' });
    case 'GET /__sink/receipts': {
      const pushIds = url.searchParams.getAll('pushId');
      if (pushIds.length > 1000) return badRequest('pushId: at most 1000 per call');
      return forward({ op: 'receipts', pushIds });
    }
    case 'GET /__sink/dead-hits': {
      const limit = Number(url.searchParams.get('limit') ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) return badRequest('limit: an integer in 1..100000');
      return forward({ op: 'dead-hits', limit });
    }
    case 'GET /__sink/faults':
      return forward({ op: 'get-faults' });
    case 'PUT /__sink/faults':
    case 'PATCH /__sink/faults': {
      let profile: unknown;
      try {
        profile = body.length ? JSON.parse(body.toString('utf8')) : {};
      } catch (error) {
        return badRequest(`body: not JSON (${(error as Error).message})`);
      }
      return forward({ op: 'set-faults', body: profile, merge: method === 'PATCH' });
    }
    default:
      return jsonReply(404, { error: `no control route ${route}` });
  }
}
