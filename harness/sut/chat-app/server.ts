import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import pg from 'pg';
import type { ChatAppConfig } from './config.ts';
import { type AfterCommitReport, createDelivery } from './delivery.ts';
import { PushSide } from './push.ts';
import { type AppUser, type BenchMarker, HttpError, RoomService, type WriteResult } from './room-service.ts';
import { ensureChatSchema } from './schema.ts';
import { personalChannel, TokenSigner } from './tokens.ts';
import { CHAT_APP_VERSION } from './version.ts';

/** The header that says who is calling: the harness's stand-in for GrandChat's Django session. */
export const USER_HEADER = 'x-user-id';

export interface RunningChatApp {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

const roomParams = {
  type: 'object',
  properties: { id: { type: 'integer', minimum: 1 } },
  required: ['id'],
} as const;
const benchProperty = { type: 'object' } as const;

/** Broadcast failures are logged at most once a second, with a count: a dead Centrifugo must not flood the log. */
function failureLogger(write: (line: string) => void) {
  let suppressed = 0;
  let lastAt = 0;
  return (what: string, report: AfterCommitReport) => {
    const now = Date.now();
    if (now - lastAt < 1000) {
      suppressed++;
      return;
    }
    const more = suppressed ? ` (+${suppressed} more failed broadcasts since the last line)` : '';
    write(`broadcast failed for ${what}: ${report.errors.join(', ')}${more}`);
    suppressed = 0;
    lastAt = now;
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function outcome<T extends object>(result: WriteResult<T>) {
  const { broadcast, push } = result;
  return {
    ...result.body,
    timings: {
      creation_ms: round(result.creationMs),
      ...(broadcast.durationMs === undefined ? {} : { broadcast_ms: round(broadcast.durationMs) }),
      ...(push ? { push_ms: round(push.durationMs) } : {}),
    },
    broadcast: { ok: broadcast.ok, calls: broadcast.calls, ...(broadcast.ok ? {} : { errors: broadcast.errors }) },
    ...(push ? { push: { ok: push.ok, ...(push.error ? { error: push.error } : {}) } } : {}),
  };
}

/**
 * The chat app: GrandChat's delivery path as a Node HTTP service (fastify). Creates its schema on start,
 * connects its broadcast parts, and listens on `config.host:config.port` (0 = a free port).
 */
export async function startChatAppServer(
  config: ChatAppConfig,
  options: { log?: (line: string) => void } = {},
): Promise<RunningChatApp> {
  const write = options.log ?? ((line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
  await ensureChatSchema(config.databaseUrl, config.outbox);
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: config.poolSize,
    application_name: `chat-app-${config.mode}`,
  });
  pool.on('error', (error) => write(`idle database connection failed: ${error.message}`));
  const delivery = await createDelivery(config);
  const push = config.push ? new PushSide(config.push) : undefined;
  const rooms = new RoomService(pool, delivery, config, push);
  const tokens = new TokenSigner(config.centrifugo.hmacSecret, config.tokenTtlSeconds);
  const logFailure = failureLogger(write);
  const startedAt = new WeakMap<FastifyRequest, number>();

  const app = Fastify({ logger: false, bodyLimit: 1 << 20, return503OnClosing: true });
  app.addHook('onRequest', async (request) => {
    startedAt.set(request, performance.now());
  });
  app.setErrorHandler(async (error: Error & { statusCode?: number; validation?: unknown }, _request, reply) => {
    if (error instanceof HttpError) return reply.code(error.status).send({ message: error.message });
    if (error.validation || (error.statusCode && error.statusCode < 500)) {
      return reply.code(error.statusCode ?? 400).send({ message: error.message });
    }
    write(`internal error: ${error.stack ?? error.message}`);
    return reply.code(500).send({ message: 'internal error' });
  });

  const authenticate = async (request: FastifyRequest): Promise<AppUser> => {
    const header = request.headers[USER_HEADER];
    const id = Number(Array.isArray(header) ? header[0] : header);
    if (!Number.isSafeInteger(id) || id < 1) throw new HttpError(401, `${USER_HEADER} header with a user id required`);
    const user = await rooms.user(id);
    if (!user) throw new HttpError(401, `unknown user ${id}`);
    return user;
  };
  const started = (request: FastifyRequest) => startedAt.get(request) ?? performance.now();

  app.get('/health', async () => ({ status: 'ok', mode: config.mode, version: CHAT_APP_VERSION }));

  app.get('/api/token/connection', async (request) => {
    const user = await authenticate(request);
    return { token: await tokens.connection(user.id) };
  });

  app.get(
    '/api/token/subscription',
    {
      schema: {
        querystring: { type: 'object', properties: { channel: { type: 'string' } }, required: ['channel'] },
      },
    },
    async (request) => {
      const user = await authenticate(request);
      const { channel } = request.query as { channel: string };
      if (channel !== personalChannel(user.id)) throw new HttpError(403, 'permission denied');
      return { token: await tokens.subscription(user.id, channel) };
    },
  );

  app.post(
    '/api/rooms/:id/messages',
    {
      schema: {
        params: roomParams,
        body: {
          type: 'object',
          properties: { content: { type: 'string', minLength: 1, maxLength: 65_536 }, bench: benchProperty },
          required: ['content'],
        },
      },
    },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const user = await authenticate(request);
      const { id } = request.params as { id: number };
      const { content, bench } = request.body as { content: string; bench?: BenchMarker };
      const result = await rooms.createMessage(started(request), user, id, content, bench);
      if (!result.broadcast.ok) logFailure(`message ${result.body.id}`, result.broadcast);
      if (result.push && !result.push.ok) write(`push failed for message ${result.body.id}: ${result.push.error}`);
      return reply.code(201).send(outcome(result));
    },
  );

  for (const action of ['join', 'leave'] as const) {
    app.post(
      `/api/rooms/:id/${action}`,
      // The body is optional (`{"bench": …}` at most): GrandChat's join/leave take none.
      { schema: { params: roomParams } },
      async (request: FastifyRequest) => {
        const user = await authenticate(request);
        const { id } = request.params as { id: number };
        const body = request.body as { bench?: unknown } | undefined;
        const bench = body && typeof body.bench === 'object' && body.bench ? (body.bench as BenchMarker) : undefined;
        const result = await rooms[action](started(request), user, id, bench);
        if (!result.broadcast.ok) logFailure(`${action} of user ${user.id} in room ${id}`, result.broadcast);
        return outcome(result);
      },
    );
  }

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    url: `http://${config.host}:${port}`,
    app,
    async close() {
      await app.close();
      await delivery.close();
      await push?.close();
      await pool.end();
    },
  };
}
