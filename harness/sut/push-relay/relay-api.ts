import { randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApiError, ApiErrorCode, badRequest } from './api-error.ts';
import {
  CancelPushSchema,
  DeviceListSchema,
  DeviceRegisterBulkSchema,
  DeviceRegisterSchema,
  DeviceRemoveSchema,
  DeviceTopicUpdateSchema,
  DeviceUpdateSchema,
  parseRequest,
  type Recipient,
  SendPushSchema,
  SUPPORTED_PROVIDERS,
  type SupportedProvider,
  UserTopicListSchema,
  UserTopicUpdateSchema,
} from './api-schemas.ts';
import { type DeviceStore, parseSubscription, type Target, tokenKey } from './device-store.ts';
import { batchTargets } from './fanout-worker.ts';
import { type FanoutJob, type PreparedNotification, prepareNotification, type SendBatch } from './notification.ts';
import type { PushQueue } from './push-queue.ts';
import type { RelayConfig } from './relay-config.ts';

type Handler = (body: Record<string, unknown>) => Promise<unknown>;

const UNSUPPORTED_RECIPIENTS: Record<string, string> = {
  fcm_topic: 'native FCM topics are not supported by this relay; register devices with topics and use filter.topics',
  fcm_condition: 'FCM conditions are not supported by this relay; use filter.topics',
  hms_tokens: 'provider hms is not supported by this relay (fcm, webpush)',
  hms_topic: 'provider hms is not supported by this relay (fcm, webpush)',
  hms_condition: 'provider hms is not supported by this relay (fcm, webpush)',
  apns_tokens: 'provider apns is not supported by this relay (fcm, webpush)',
};

function apiKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const authorization = request.headers.authorization;
  if (authorization) {
    const match = /^apikey\s+(.+)$/i.exec(authorization);
    if (match) return match[1]!.trim();
  }
  const query = (request.query as Record<string, unknown> | undefined)?.api_key;
  return typeof query === 'string' ? query : undefined;
}

function sameKey(given: string, expected: Buffer): boolean {
  const buffer = Buffer.from(given);
  return buffer.length === expected.length && timingSafeEqual(buffer, expected);
}

/**
 * The HTTP API: Centrifugo PRO's push methods under `POST /api/<method>` (and the legacy
 * `POST /api {"method","params"}`), Centrifugo's auth and envelopes, plus relay extensions
 * (`device_register_bulk`, `push_ledger`, `push_ledger_aggregate`, `push_stats`).
 */
export function buildRelayApi(deps: {
  config: RelayConfig;
  store: DeviceStore;
  queue: PushQueue;
  stats?: () => Record<string, unknown>;
  log: (message: string) => void;
}): FastifyInstance {
  const { config, store, queue } = deps;
  const expectedKey = Buffer.from(config.apiKey);
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024, return503OnClosing: true });

  // Centrifugo reads every API body as JSON whatever the content type; so does the relay, with a clear error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      const parseError = badRequest(`malformed JSON body: ${(error as Error).message}`) as ApiError & {
        statusCode: number;
      };
      parseError.statusCode = 400;
      done(parseError, undefined);
    }
  });

  const send = (request: FastifyRequest, reply: FastifyReply, error: ApiError, forceStatus?: number) => {
    if (request.headers['x-centrifugo-error-mode'] === 'transport') {
      return reply.status(forceStatus ?? error.httpStatus).send({ code: error.code, message: error.message });
    }
    return reply.status(forceStatus ?? 200).send({ error: { code: error.code, message: error.message } });
  };

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof ApiError) {
      // Unparsable bodies get HTTP 400 in every mode (as Centrifugo answers them), with the reason in JSON.
      return send(request, reply, error, error.message.includes('malformed JSON') ? 400 : undefined);
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return send(request, reply, badRequest(`request body over ${64} MiB`), 413);
    }
    if (error.statusCode && error.statusCode < 500) {
      return send(request, reply, badRequest(error.message), error.statusCode);
    }
    deps.log(`internal error on ${request.url}: ${error.stack ?? error.message}`);
    return send(request, reply, new ApiError(ApiErrorCode.internal));
  });

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api')) return;
    const given = apiKeyOf(request);
    if (!given || !sameKey(given, expectedKey)) {
      // Centrifugo's answer to a bad or missing key: bare 401, empty body.
      return reply.status(401).send('');
    }
  });

  app.get('/health', async () => ({ status: 'ok' }));

  const limits = config.limits;

  const sendPush: Handler = async (body) => {
    const req = parseRequest(SendPushSchema, body);
    const given = Object.entries(req.recipient).filter(([, v]) => v !== undefined) as [keyof Recipient, unknown][];
    if (given.length !== 1) {
      const found = given.length ? `got ${given.map(([k]) => k).join(' and ')}` : 'got none';
      throw badRequest(`recipient: give exactly one of filter, fcm_tokens, webpush_tokens (${found})`);
    }
    for (const feature of ['limit_strategy', 'localizations', 'use_templating', 'use_meta'] as const) {
      if (req[feature] !== undefined && req[feature] !== false) {
        throw new ApiError(ApiErrorCode.notAvailable, `${feature}: not implemented by this relay`);
      }
    }
    const [kind] = given[0]!;
    const unsupported = UNSUPPORTED_RECIPIENTS[kind];
    if (unsupported) throw badRequest(`recipient.${kind}: ${unsupported}`);
    const uid = req.uid ?? randomUUID();
    const prepared: PreparedNotification = prepareNotification(req.notification, uid, limits);
    const expireMs = req.notification.expire_at ? req.notification.expire_at * 1000 : 0;
    if (expireMs && expireMs <= Date.now()) throw badRequest('notification.expire_at: already in the past');
    const scope = req.ledger_scope ?? '';
    const dueMs = req.send_at && req.send_at * 1000 > Date.now() ? req.send_at * 1000 : undefined;

    let raw: Target[] | undefined;
    let job: FanoutJob | undefined;
    if (kind === 'fcm_tokens' || kind === 'webpush_tokens') {
      const tokens = req.recipient[kind]!;
      const provider: SupportedProvider = kind === 'fcm_tokens' ? 'fcm' : 'webpush';
      if (!tokens.length) throw badRequest(`recipient.${kind}: empty list`);
      if (tokens.length > limits.maxTokensPerPush) {
        throw badRequest(
          `recipient.${kind}: ${tokens.length} tokens, over the limit of ${limits.maxTokensPerPush} per push`,
        );
      }
      if (provider === 'fcm' && prepared.f === undefined)
        throw badRequest('notification.fcm: required for recipient.fcm_tokens');
      if (provider === 'webpush') {
        if (prepared.w === undefined) throw badRequest('notification.webpush: required for recipient.webpush_tokens');
        for (const [i, t] of tokens.entries()) parseSubscription(t, `recipient.webpush_tokens[${i}]`);
      }
      raw = tokens.map((k) => ({ p: provider, k }));
    } else {
      const filter = req.recipient.filter!;
      const wanted = filter.providers?.length ? filter.providers : SUPPORTED_PROVIDERS;
      for (const p of wanted) {
        if (!(SUPPORTED_PROVIDERS as readonly string[]).includes(p)) {
          throw badRequest(`recipient.filter.providers: provider ${p} is not supported by this relay (fcm, webpush)`);
        }
      }
      const pv = (wanted as SupportedProvider[]).filter((p) => (p === 'fcm' ? prepared.f : prepared.w) !== undefined);
      if (!pv.length)
        throw badRequest(`notification: no payload for the providers the filter selects (${wanted.join(', ')})`);
      job = { f: filter, pv, n: prepared, x: expireMs };
    }

    const batchSize = { fcm: config.fcm?.batchSize ?? 500, webpush: config.webpush?.batchSize ?? 100 };
    let accepted: boolean;
    if (dueMs !== undefined) {
      const scheduled: FanoutJob = job ?? { f: {}, pv: [], n: prepared, x: expireMs, tg: raw };
      accepted = await queue.accept({
        uid,
        scope,
        mode: 'scheduled',
        targets: 0,
        dueMs,
        entries: [JSON.stringify(scheduled)],
        ttlSeconds: config.ledgerTtlSeconds + Math.ceil((dueMs - Date.now()) / 1000),
      });
    } else if (raw) {
      const entries = batchTargets(raw, batchSize).map((tg) =>
        JSON.stringify({ tg, n: prepared, x: expireMs, a: 0 } satisfies SendBatch),
      );
      accepted = await queue.accept({
        uid,
        scope,
        mode: 'sends',
        targets: raw.length,
        entries,
        ttlSeconds: config.ledgerTtlSeconds,
      });
    } else {
      accepted = await queue.accept({
        uid,
        scope,
        mode: 'job',
        targets: 0,
        entries: [JSON.stringify(job)],
        ttlSeconds: config.ledgerTtlSeconds,
      });
    }
    // A uid seen before is not enqueued twice: the call is idempotent per uid.
    void accepted;
    return { uid };
  };

  const handlers: Record<string, Handler> = {
    device_register: async (body) => {
      const req = parseRequest(DeviceRegisterSchema, body);
      const id = await store.register(req);
      await queue.forgetDead([`${req.provider}:${tokenKey(req.provider, req.token)}`]);
      return { id };
    },
    device_register_bulk: async (body) => {
      const req = parseRequest(DeviceRegisterBulkSchema, body);
      if (req.devices.length > limits.maxBulkDevices) {
        throw badRequest(`devices: ${req.devices.length} devices, over the limit of ${limits.maxBulkDevices} per call`);
      }
      const ids = await store.registerBulk(req.devices);
      const keys = req.devices.map((d) => `${d.provider}:${tokenKey(d.provider, d.token)}`);
      for (let i = 0; i < keys.length; i += 1000) await queue.forgetDead(keys.slice(i, i + 1000));
      return { ids };
    },
    device_update: async (body) => {
      await store.update(parseRequest(DeviceUpdateSchema, body));
      return {};
    },
    device_remove: async (body) => {
      const req = parseRequest(DeviceRemoveSchema, body);
      await store.remove(req.ids, req.users);
      return {};
    },
    device_list: async (body) => store.list(parseRequest(DeviceListSchema, body)),
    device_topic_update: async (body) => {
      const req = parseRequest(DeviceTopicUpdateSchema, body);
      await store.deviceTopicUpdate(req.device_id, req.op, req.topics);
      return {};
    },
    user_topic_update: async (body) => {
      const req = parseRequest(UserTopicUpdateSchema, body);
      await store.userTopicUpdate(req.user, req.op, req.topics);
      return {};
    },
    user_topic_list: async (body) => store.userTopicList(parseRequest(UserTopicListSchema, body)),
    send_push_notification: sendPush,
    cancel_push: async (body) => {
      const req = parseRequest(CancelPushSchema, body);
      const result = await queue.cancel(req.uid);
      if (result === -1) throw new ApiError(ApiErrorCode.notFound, `uid: no push ${req.uid}`);
      if (result === 0) throw new ApiError(ApiErrorCode.conflict, `uid: push ${req.uid} is not scheduled (any more)`);
      return {};
    },
    push_ledger: async (body) => {
      const uid = body.uid;
      if (typeof uid !== 'string' || !uid) throw badRequest('uid: required');
      const ledger = await queue.pushLedger(uid);
      if (!ledger)
        throw new ApiError(ApiErrorCode.notFound, `uid: no push ${uid} (never accepted, or its ledger expired)`);
      return ledger;
    },
    push_ledger_aggregate: async (body) => {
      const scope = body.scope ?? 'all';
      if (typeof scope !== 'string') throw badRequest('scope: must be a string');
      return queue.aggregate(scope);
    },
    push_stats: async () => ({ queue: await queue.sizes(), ...deps.stats?.() }),
  };
  for (const name of ['device_topic_list', 'update_push_status']) {
    handlers[name] = async () => {
      throw new ApiError(ApiErrorCode.notAvailable, `${name} is not implemented by this relay`);
    };
  }

  const dispatch = async (method: string, body: unknown) => {
    const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
    if (!handler) throw new ApiError(ApiErrorCode.notFound, `unknown method ${method}`);
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('(body): must be a JSON object');
    return { result: await handler(body as Record<string, unknown>) };
  };

  app.post('/api/:method', async (request) => dispatch((request.params as { method: string }).method, request.body));
  app.post('/api', async (request) => {
    const body = request.body as { method?: unknown; params?: unknown } | null;
    if (typeof body?.method !== 'string') throw badRequest('method: required');
    return dispatch(body.method, body.params ?? {});
  });
  app.get('/api/push_ledger', async (request) => dispatch('push_ledger', request.query ?? {}));
  app.get('/api/push_ledger/aggregate', async (request) => dispatch('push_ledger_aggregate', request.query ?? {}));
  app.get('/api/push_stats', async () => dispatch('push_stats', {}));
  return app;
}
