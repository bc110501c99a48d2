import { AsyncResource } from 'node:async_hooks';
import http2 from 'node:http2';

export interface H2Response {
  status: number;
  retryAfter: string | undefined;
  /** The response body for statuses ≥ 300 (what a caller classifies); '' for a success, which is not read. */
  body: string;
}

const { HTTP2_HEADER_STATUS, NGHTTP2_CANCEL } = http2.constants;

/**
 * Node 20's `AsyncResource.prototype.bind` gives every bound function an `asyncResource` property whose getter
 * and setter are wrapped in `deprecate()` (DEP0172), and `ClientHttp2Session.request` binds one function per
 * request: measured ~12 µs of CPU per HTTP/2 request on this box (23 against 35 µs per request,
 * `h2-client.bench.ts`). Node removed the property later (nodejs/node#58618, End-of-Life); this binds the way
 * it does there — same async scope, same `this` and arguments, same `length` — without the deprecated accessors.
 * Installed only where the accessors exist, once per process (the relay's worker processes).
 */
export function installLeanAsyncResourceBind(): boolean {
  const probe = new AsyncResource('probe').bind(() => {});
  if (!Object.hasOwn(probe, 'asyncResource')) return false;
  AsyncResource.prototype.bind = function bind<Func extends (...args: never[]) => unknown>(
    this: AsyncResource,
    fn: Func,
    thisArg?: ThisParameterType<Func>,
  ): Func {
    if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
    const bound =
      thisArg === undefined ? inAsyncScope(this, fn) : this.runInAsyncScope.bind(this, fn as never, thisArg);
    Object.defineProperty(bound, 'length', {
      configurable: true,
      enumerable: false,
      value: fn.length,
      writable: false,
    });
    return bound as unknown as Func;
  };
  return true;
}

/**
 * `fn` run in `resource`'s async scope with the caller's `this`. A factory returning the function expression
 * directly: bound to a name in place (`const bound = function …`), tsx's esbuild `keepNames` would add an
 * `Object.defineProperty(…, 'name')` per request (~1 % of a relay worker's busy time in a flood's profile).
 */
function inAsyncScope(resource: AsyncResource, fn: (...args: never[]) => unknown) {
  return function (this: unknown, ...args: unknown[]) {
    return resource.runInAsyncScope(fn as never, this, ...(args as never[]));
  };
}

/**
 * A few long-lived HTTP/2 sessions to one origin, requests spread round-robin over them, a session replaced
 * when it closes, errors or goes away. Raw `node:http2` rather than undici for FCM's and Web Push's
 * one-message-per-request traffic: measured ~45 µs of CPU per send against undici's ~86 µs (issue 17).
 * nghttp2 holds streams beyond the peer's SETTINGS_MAX_CONCURRENT_STREAMS until one frees, so the caller's own
 * limit is the only one.
 *
 * Per request it does as little as Node lets it (issue 17, 35 → 23 µs of client CPU per request with the bind
 * above): the caller passes the whole header object (pseudo-headers included, built once where it can be), a
 * success's body is discarded unread (no string decoder), and timeouts are one sweep over the streams in flight
 * instead of a timer per stream (Node refreshes a stream's timer on every read and write).
 */
export class H2Sessions {
  private readonly sessions: (http2.ClientHttp2Session | undefined)[];
  private next = 0;
  private closed = false;
  /** Streams in flight by their deadline (ms); insertion order is deadline order (one timeout for all). */
  private readonly deadlines = new Map<http2.ClientHttp2Stream, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly origin: string,
    size: number,
    private readonly ca: Buffer | undefined,
    private readonly timeoutMs: number,
  ) {
    this.sessions = new Array(size).fill(undefined);
    this.sweeper = setInterval(() => this.sweep(), Math.min(1000, Math.max(50, timeoutMs / 4)));
    this.sweeper.unref();
  }

  private session(): http2.ClientHttp2Session {
    const i = this.next;
    this.next = (i + 1) % this.sessions.length;
    const current = this.sessions[i];
    if (current && !current.closed && !current.destroyed) return current;
    const session = http2.connect(this.origin, this.ca ? { ca: this.ca } : {});
    const forget = () => {
      if (this.sessions[i] === session) this.sessions[i] = undefined;
    };
    // An error or a GOAWAY ends the session for new streams; in-flight ones fail and are retried by the caller.
    session.on('error', forget);
    session.on('goaway', forget);
    session.on('close', forget);
    this.sessions[i] = session;
    return session;
  }

  /** Cancels the streams past their deadline: they fail with 'stream closed', and the caller retries. */
  private sweep(): void {
    const now = Date.now();
    for (const [stream, deadline] of this.deadlines) {
      if (deadline > now) break;
      this.deadlines.delete(stream);
      if (!stream.closed && !stream.destroyed) stream.close(NGHTTP2_CANCEL);
    }
  }

  /**
   * One request: `headers` carries `:method` and `:path` (node:http2 copies it, so one object may serve many
   * requests). Rejects on a network error, a reset stream or the timeout (the caller retries).
   */
  request(headers: http2.OutgoingHttpHeaders, body: string | Buffer): Promise<H2Response> {
    if (this.closed) return Promise.reject(new Error('sessions closed'));
    return new Promise((resolve, reject) => {
      const stream = this.session().request(headers);
      this.deadlines.set(stream, Date.now() + this.timeoutMs);
      let status = 0;
      let retryAfter: string | undefined;
      let text = '';
      stream.on('response', (h) => {
        status = Number(h[HTTP2_HEADER_STATUS]);
        const ra = h['retry-after'];
        retryAfter = Array.isArray(ra) ? ra[0] : ra;
        if (status < 300) {
          stream.resume();
          return;
        }
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          text += chunk;
        });
      });
      stream.on('error', reject);
      // 'close' comes after the body's 'end' (or after an error / reset, when the promise is settled already).
      stream.on('close', () => {
        this.deadlines.delete(stream);
        if (status) resolve({ status, retryAfter, body: text });
        else reject(new Error(`stream closed (${stream.rstCode})`));
      });
      stream.end(body);
    });
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const session of this.sessions) session?.close();
    this.sessions.fill(undefined);
  }
}
