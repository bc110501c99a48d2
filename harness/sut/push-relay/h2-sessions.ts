import http2 from 'node:http2';

export interface H2Response {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

const { HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH, HTTP2_HEADER_STATUS } = http2.constants;

/**
 * A few long-lived HTTP/2 sessions to one origin, requests spread round-robin over them, a session replaced
 * when it closes, errors or goes away. Raw `node:http2` rather than undici for FCM's and Web Push's
 * one-message-per-request traffic: measured ~45 µs of CPU per send against undici's ~86 µs (issue 17).
 * nghttp2 holds streams beyond the peer's SETTINGS_MAX_CONCURRENT_STREAMS until one frees, so the caller's own
 * limit is the only one.
 */
export class H2Sessions {
  private readonly sessions: (http2.ClientHttp2Session | undefined)[];
  private next = 0;
  private closed = false;

  constructor(
    private readonly origin: string,
    size: number,
    private readonly ca: Buffer | undefined,
  ) {
    this.sessions = new Array(size).fill(undefined);
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

  /** One request; rejects on a network error, a reset stream or the timeout (the caller retries). */
  request(
    path: string,
    headers: http2.OutgoingHttpHeaders,
    body: string | Buffer,
    timeoutMs: number,
  ): Promise<H2Response> {
    if (this.closed) return Promise.reject(new Error('sessions closed'));
    return new Promise((resolve, reject) => {
      const stream = this.session().request({ [HTTP2_HEADER_METHOD]: 'POST', [HTTP2_HEADER_PATH]: path, ...headers });
      let status = 0;
      let retryAfter: string | undefined;
      let text = '';
      stream.setEncoding('utf8');
      stream.setTimeout(timeoutMs, () => stream.close(http2.constants.NGHTTP2_CANCEL));
      stream.on('response', (h) => {
        status = Number(h[HTTP2_HEADER_STATUS]);
        const ra = h['retry-after'];
        retryAfter = Array.isArray(ra) ? ra[0] : ra;
      });
      stream.on('data', (chunk: string) => {
        text += chunk;
      });
      stream.on('end', () => (status ? resolve({ status, retryAfter, body: text }) : reject(new Error('no response'))));
      stream.on('error', reject);
      stream.on('close', () => {
        if (!status) reject(new Error(`stream closed (${stream.rstCode})`));
      });
      stream.end(body);
    });
  }

  close(): void {
    this.closed = true;
    for (const session of this.sessions) session?.close();
    this.sessions.fill(undefined);
  }
}
