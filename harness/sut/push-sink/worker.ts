import { createPublicKey } from 'node:crypto';
import http2 from 'node:http2';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { startCpuProfile } from '../../common/cpu-profile.ts';
import { AccessTokenChecker } from './access-tokens.ts';
import { nowUs } from './clock.ts';
import { handleControl } from './control-api.ts';
import { projectTag, type TokenVerdict, verifyFcmToken } from './device-tokens.ts';
import { FaultEngine, type Route } from './faults.ts';
import { handleFcmSend, type Outcome } from './fcm-send.ts';
import { handleTokenRequest } from './oauth-token.ts';
import type { ControlCall, ToPrimary, ToWorker, WorkerInit } from './protocol.ts';
import { DeviceLimiter, QuotaLease } from './rate-limits.ts';
import { ReceiptWriter } from './receipts.ts';
import { jsonReply, notFoundPage, type SinkReply } from './reply.ts';
import { seedKey } from './seed-key.ts';
import type { SinkContext } from './sink-context.ts';
import { WorkerStats } from './stats.ts';
import { type SubscriptionVerdict, type UserAgentKeys, userAgentKeys, verifySubscriptionId } from './subscriptions.ts';
import { VapidVerifier } from './vapid.ts';
import { handleWebPush, MAX_BODY_BYTES } from './webpush-receive.ts';

/**
 * A sink worker process (node:cluster): serves FCM, Web Push and the control API on the shared TLS port.
 * State that must be global (quota bucket, fault profile, stats aggregation, files) lives in the primary.
 */
/**
 * Node 20 builds an Error, stack trace and all, for nearly every HTTP/2 response: when a response's last write
 * completes after its stream has closed, `errorBuffer` (internal/streams/writable) evaluates
 * `new ERR_STREAM_DESTROYED('end')` whether or not anyone listens, and Node's internal errors raise
 * Error.stackTraceLimit to capture their trace: 11.5 % of this worker's CPU profile under FCM load (issue 17).
 * Pinned at 0 (not writable, so Node cannot raise it), that costs next to nothing (README: fcm-vs-bare.bench.ts).
 * The price: this worker's own error logs carry no stack frames; CENTRIFUGO_BENCH_SINK_STACKS=1 keeps them
 * (Node's default) for debugging.
 */
if (process.env.CENTRIFUGO_BENCH_SINK_STACKS !== '1') {
  Object.defineProperty(Error, 'stackTraceLimit', { value: 0, writable: false, configurable: true });
}

const MAX_REQUEST_BYTES = 64 * 1024;
const UA_KEY_CACHE = 10_000;
const VERDICT_CACHE = 100_000;

/** A bounded memo: cleared when full, which is cheap and good enough for a working set of devices. */
function memo<T>(compute: (key: string) => T, limit: number): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = compute(key);
      if (cache.size >= limit) cache.clear();
      cache.set(key, value);
    }
    return value;
  };
}

function send(message: ToPrimary): void {
  process.send?.(message);
}

let nextId = 1;
const pendingLeases = new Map<number, (r: { granted: number; retryAfterMs: number }) => void>();
const pendingControl = new Map<number, (reply: SinkReply) => void>();

function requestLease(want: number): Promise<{ granted: number; retryAfterMs: number }> {
  const id = nextId++;
  return new Promise((resolve) => {
    pendingLeases.set(id, resolve);
    send({ type: 'lease', id, want });
  });
}

function forward(call: ControlCall): Promise<SinkReply> {
  const id = nextId++;
  return new Promise((resolve) => {
    pendingControl.set(id, resolve);
    send({ type: 'control', id, call });
  });
}

function buildContext(init: WorkerInit, worker: number, origin: string): SinkContext {
  const { config } = init;
  const key = seedKey(init.seed);
  const uaKeys = new Map<number, UserAgentKeys>();
  let receiptSeq = 0;
  const workerTag = worker.toString(36);
  const ownTag = projectTag(config.fcm.projectId);
  return {
    config,
    worker,
    origin,
    key,
    authKey: Buffer.from(init.authKey, 'base64url'),
    projectId: config.fcm.projectId,
    projectNumber: init.projectNumber,
    projectTag: ownTag,
    serviceAccount: {
      clientEmail: init.serviceAccount.clientEmail,
      publicKey: createPublicKey(init.serviceAccount.publicKeyPem),
      keyId: init.serviceAccount.keyId,
    },
    faults: new FaultEngine(init.faults.profile, init.faults.appliedAtUs, init.seed, worker),
    stats: new WorkerStats(),
    receipts: config.receipts ? new ReceiptWriter(path.join(init.receiptsDir, `receipts-${worker}.ndjson`)) : undefined,
    quota: new QuotaLease(init.leaseSize, requestLease),
    devices: config.fcm.perDevice
      ? new DeviceLimiter(config.fcm.perDevice.perMinute, config.fcm.perDevice.perHour)
      : undefined,
    vapid: new VapidVerifier(origin),
    accessTokens: new AccessTokenChecker(Buffer.from(init.authKey, 'base64url')),
    userAgentKeys(index) {
      let keys = uaKeys.get(index);
      if (!keys) {
        keys = userAgentKeys(key, index);
        if (uaKeys.size >= UA_KEY_CACHE) uaKeys.clear();
        uaKeys.set(index, keys);
      }
      return keys;
    },
    // A verdict for this project points at ctx's own tag (see fcm-send's identity check), which also lets go of
    // the decoded token the tag was a view of: 100,000 memoised verdicts held 100,000 such buffers (issue 17).
    fcmTokenVerdict: memo<TokenVerdict>((token) => {
      const verdict = verifyFcmToken(key, token);
      if (verdict.kind === 'valid' && verdict.projectTag.equals(ownTag)) verdict.projectTag = ownTag;
      return verdict;
    }, VERDICT_CACHE),
    subscriptionVerdict: memo<SubscriptionVerdict>((id) => verifySubscriptionId(key, id), VERDICT_CACHE),
    nextReceiptId: () => `${workerTag}-${(receiptSeq++).toString(36)}`,
  };
}

type Dispatch = { route: Route | 'control' | 'other'; outcome: Outcome | Promise<Outcome> };

type RequestHeaders = http2.IncomingHttpHeaders;

function route(
  ctx: SinkContext,
  method: string,
  url: string,
  headers: RequestHeaders,
  body: Buffer,
  truncated: boolean,
): Dispatch {
  if (method === 'POST') {
    if (url.startsWith('/v1/projects/') && url.endsWith('/messages:send')) {
      const project = url.slice('/v1/projects/'.length, -'/messages:send'.length);
      return { route: 'fcm', outcome: handleFcmSend(ctx, project, headers.authorization, body, truncated) };
    }
    if (url.startsWith('/wp/')) {
      return { route: 'webpush', outcome: handleWebPush(ctx, url.slice(4), headers, body, truncated) };
    }
    if (url === '/token') return { route: 'token', outcome: handleTokenRequest(ctx, headers['content-type'], body) };
  }
  if (url === '/health' && method === 'GET') {
    return {
      route: 'other',
      outcome: { reply: jsonReply(200, { status: 'ok', workers: ctx.config.workers }), reason: 'health' },
    };
  }
  if (url.startsWith('/__sink/')) {
    const reply = handleControl(ctx, method, new URL(url, ctx.origin), body, forward);
    const outcome =
      reply instanceof Promise ? reply.then((r) => ({ reply: r, reason: 'control' })) : { reply, reason: 'control' };
    return { route: 'control', outcome };
  }
  return { route: 'other', outcome: { reply: notFoundPage(url), reason: 'not_found' } };
}

/**
 * Counts an answered request and writes its reply, after a fault's delay. A module function rather than a closure
 * made per request: tsx compiles with esbuild's keepNames, which names each named closure as it is made (an
 * Object.defineProperty per request, 2.4 % of this worker's CPU in the million-push flood, issue 17).
 */
function answer(ctx: SinkContext, where: Dispatch['route'], outcome: Outcome, respond: Respond): void {
  if (where !== 'other' && where !== 'control') {
    ctx.stats.count(where, outcome.reply.status, outcome.reason);
    const delay = ctx.faults.delayMs(where);
    if (delay > 0) {
      setTimeout(() => respond(outcome.reply), delay);
      return;
    }
  }
  respond(outcome.reply);
}

/** For the 'error' events of requests and responses that are answered or dropped already. */
const ignore = (): void => {};

/** Writes a reply: over an HTTP/2 stream directly, or through HTTP/1.1's response object. */
type Respond = (reply: SinkReply) => void;

function streamResponder(stream: http2.ServerHttp2Stream): Respond {
  return (reply) => {
    if (stream.destroyed || stream.closed || stream.headersSent) return;
    // The reply's headers are spread last on purpose (no reply sets :status or content-length itself):
    // properties added after a spread leave an object that node:http2's for-in (processHeaders) and
    // Object.keys (mapToHeaders) walk on a slow path, ~2.3 µs a response in a micro-benchmark; spread first,
    // the sink's FCM send cost ~15 % more CPU (issue 17, README → The reply's header object).
    stream.respond({
      ':status': reply.status,
      'content-length': String(Buffer.byteLength(reply.body)),
      ...reply.headers,
    });
    stream.end(reply.body);
  };
}

function http1Responder(res: http2.Http2ServerResponse): Respond {
  return (reply) => {
    if (res.stream?.destroyed || res.writableEnded) return;
    reply.headers['content-length'] = String(Buffer.byteLength(reply.body));
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  };
}

async function start(init: WorkerInit): Promise<void> {
  const worker = Number(process.env.CENTRIFUGO_BENCH_SINK_WORKER ?? 0);
  const stopProfile = await startCpuProfile('PUSH_SINK_CPU_PROFILE_DIR', `sink-worker${worker}`);
  let ctx: SinkContext | undefined;
  const server = http2.createSecureServer({
    key: init.tls.key,
    cert: init.tls.cert,
    allowHTTP1: true,
    settings: { maxConcurrentStreams: init.config.http2.maxConcurrentStreams },
  });
  /** Reads the body (up to the route's limit), routes and answers it; the caller listens for the body's 'error'. */
  const serve = (method: string, url: string, headers: RequestHeaders, body: Readable, respond: Respond): void => {
    const limit = url.startsWith('/wp/') ? MAX_BODY_BYTES : MAX_REQUEST_BYTES;
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) truncated = true;
      else chunks.push(chunk);
    });
    body.on('end', () => {
      if (!ctx) return respond(jsonReply(503, { error: 'starting' }));
      const c = ctx;
      const whole = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      let dispatch: Dispatch;
      try {
        dispatch = route(c, method, url, headers, whole, truncated);
      } catch (error) {
        process.stderr.write(`push sink worker ${worker}: ${(error as Error).stack}\n`);
        return respond(jsonReply(500, { error: 'internal error' }));
      }
      const { route: where, outcome } = dispatch;
      if (outcome instanceof Promise) {
        outcome.then(
          (settled) => answer(c, where, settled, respond),
          (error: Error) => {
            process.stderr.write(`push sink worker ${worker}: ${error.stack}\n`);
            respond(jsonReply(500, { error: 'internal error' }));
          },
        );
      } else answer(c, where, outcome, respond);
    });
  };
  // HTTP/1.1 (allowHTTP1) arrives as 'request'. Listening for 'request' also makes node:http2 wrap every HTTP/2
  // stream in its compatibility objects (Http2ServerRequest/Response), ~20 % of a send's CPU here (issue 17):
  // that wrapper is removed, and HTTP/2 streams are served from 'stream' directly.
  server.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    req.on('error', ignore);
    res.on('error', ignore);
    serve(req.method, req.url, req.headers, req, http1Responder(res));
  });
  server.removeAllListeners('stream');
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: RequestHeaders) => {
    // One listener for the stream, shared by every request: a reset stream must not throw, and a second
    // listener (or a closure per request) is one more allocation per request (issue 17).
    stream.on('error', ignore);
    serve(String(headers[':method']), String(headers[':path']), headers, stream, streamResponder(stream));
  });
  // A client that resets or half-opens a session must not take the worker down.
  server.on('sessionError', () => {});
  server.on('tlsClientError', () => {});

  await new Promise<void>((resolve) => server.listen(init.config.port, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : init.config.port;
  ctx = buildContext(init, worker, `https://127.0.0.1:${port}`);
  const context = ctx;
  const sweep = setInterval(() => context.devices?.sweep(nowUs()), 10_000);
  sweep.unref();

  process.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'lease-reply':
        pendingLeases.get(message.id)?.({ granted: message.granted, retryAfterMs: message.retryAfterMs });
        pendingLeases.delete(message.id);
        break;
      case 'reply':
        pendingControl.get(message.id)?.(jsonReply(message.status, message.body));
        pendingControl.delete(message.id);
        break;
      case 'snapshot':
        send({
          type: 'snapshot-reply',
          id: message.id,
          snapshot: context.stats.snapshot(
            { verified: context.vapid.verified, cacheHits: context.vapid.cacheHits },
            context.quota.throttled,
          ),
        });
        break;
      case 'flush':
        void (context.receipts?.flush() ?? Promise.resolve()).then(() => send({ type: 'flush-reply', id: message.id }));
        break;
      case 'faults':
        context.faults.update(message.profile, message.appliedAtUs);
        break;
      case 'reset':
        context.stats.reset();
        context.quota.clear();
        context.quota.throttled = 0;
        context.vapid.verified = 0;
        context.vapid.cacheHits = 0;
        context.devices?.clear();
        break;
      case 'shutdown':
        void shutdown();
        break;
    }
  });

  let stopping = false;
  async function shutdown(): Promise<void> {
    if (stopping) return;
    stopping = true;
    server.close();
    await context.receipts?.flush();
    context.receipts?.closeSync();
    await stopProfile?.();
    process.exit(0);
  }
  // The primary is gone (crashed or killed): flush what we have and leave.
  process.on('disconnect', () => void shutdown());

  send({ type: 'listening', port });
}

// Ctrl-C and the stack's SIGTERM reach the whole process group: the primary coordinates the stop (it
// sends 'shutdown'), so a worker does not die on its own and get restarted half-way. Without a primary
// ('disconnect') the worker leaves by itself.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});

// Messages that arrive before a listener exists are dropped: ask for the init once listening for it.
process.once('message', (message: ToWorker) => {
  if (message.type !== 'init') return;
  start(message.init).catch((error: Error) => {
    process.stderr.write(`push sink worker failed to start: ${error.stack}\n`);
    process.exit(1);
  });
});
send({ type: 'ready' });
