import type { Dispatcher } from 'undici';
import { GoogleAccessToken, readServiceAccount } from './google-access-token.ts';
import { fcmRequestBody } from './notification.ts';
import { classifyFcm, type Outcome } from './outcome.ts';

export interface FcmSenderOptions {
  /** Base URL of the v1 API, e.g. https://fcm.googleapis.com/v1 (or the sink's fcmUrl). */
  url: string;
  credentialsFile: string;
  tokenUrl?: string;
  projectId?: string;
  requestTimeoutMs: number;
}

/**
 * FCM HTTP v1: one message per request (push.md §1), over the shared HTTP/2 dispatcher (long-lived
 * sessions, many streams each — not a session per batch). Requests are marked idempotent so undici
 * multiplexes POSTs on one session; a duplicate after a connection reset is at worst a duplicate receipt.
 */
export class FcmSender {
  private readonly origin: string;
  private readonly path: string;
  private readonly dispatcher: Dispatcher;
  private readonly auth: GoogleAccessToken;
  private readonly timeoutMs: number;

  constructor(options: FcmSenderOptions, dispatcher: Dispatcher) {
    const account = readServiceAccount(options.credentialsFile);
    const base = new URL(options.url);
    this.origin = base.origin;
    const projectId = options.projectId ?? account.project_id;
    this.path = `${base.pathname.replace(/\/$/, '')}/projects/${encodeURIComponent(projectId)}/messages:send`;
    this.dispatcher = dispatcher;
    this.auth = new GoogleAccessToken(account, dispatcher, options.tokenUrl);
    this.timeoutMs = options.requestTimeoutMs;
  }

  get tokenExchanges(): number {
    return this.auth.exchanges;
  }

  async send(token: string, preparedMessage: string): Promise<Outcome> {
    let access: string;
    try {
      access = await this.auth.get();
    } catch {
      return { kind: 'retry', cause: 'server' };
    }
    try {
      const response = await this.dispatcher.request({
        origin: this.origin,
        path: this.path,
        method: 'POST',
        headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
        body: fcmRequestBody(preparedMessage, token),
        idempotent: true,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      if (response.statusCode === 200) {
        await response.body.dump();
        return { kind: 'delivered' };
      }
      const body = await response.body.text();
      const outcome = classifyFcm(response.statusCode, body, response.headers['retry-after']);
      if (outcome.kind === 'retry' && outcome.cause === 'auth') this.auth.invalidate(access);
      return outcome;
    } catch {
      return { kind: 'retry', cause: 'network' };
    }
  }
}
