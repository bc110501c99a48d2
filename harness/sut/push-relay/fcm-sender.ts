import http2 from 'node:http2';
import type { Dispatcher } from 'undici';
import { GoogleAccessToken, readServiceAccount } from './google-access-token.ts';
import type { H2Sessions } from './h2-sessions.ts';
import { fcmRequestBody } from './notification.ts';
import { classifyFcm, type Outcome } from './outcome.ts';

export interface FcmSenderOptions {
  /** Base URL of the v1 API, e.g. https://fcm.googleapis.com/v1 (or the sink's fcmUrl). */
  url: string;
  credentialsFile: string;
  tokenUrl?: string;
  projectId?: string;
}

/**
 * FCM HTTP v1: one message per request (push.md §1), over raw `node:http2` sessions (`H2Sessions`: long-lived,
 * many streams each — not a session per batch); the rare OAuth token exchange goes through the shared undici
 * dispatcher. A send that fails on the network is retried by the caller: at worst a duplicate receipt.
 */
export class FcmSender {
  private readonly path: string;
  private readonly auth: GoogleAccessToken;
  /** The request headers for the current access token, built once per token (an hour), not per send. */
  private headers: { access: string; value: http2.OutgoingHttpHeaders } | undefined;

  constructor(
    options: FcmSenderOptions,
    dispatcher: Dispatcher,
    private readonly sessions: H2Sessions,
  ) {
    const account = readServiceAccount(options.credentialsFile);
    const base = new URL(options.url);
    const projectId = options.projectId ?? account.project_id;
    this.path = `${base.pathname.replace(/\/$/, '')}/projects/${encodeURIComponent(projectId)}/messages:send`;
    this.auth = new GoogleAccessToken(account, dispatcher, options.tokenUrl);
  }

  private headersFor(access: string): http2.OutgoingHttpHeaders {
    if (this.headers?.access !== access) {
      this.headers = {
        access,
        value: {
          [http2.constants.HTTP2_HEADER_METHOD]: 'POST',
          [http2.constants.HTTP2_HEADER_PATH]: this.path,
          authorization: `Bearer ${access}`,
          'content-type': 'application/json',
        },
      };
    }
    return this.headers.value;
  }

  get tokenExchanges(): number {
    return this.auth.exchanges;
  }

  async send(token: string, preparedMessage: string): Promise<Outcome> {
    let access = this.auth.current();
    if (access === undefined) {
      try {
        access = await this.auth.get();
      } catch {
        return { kind: 'retry', cause: 'server' };
      }
    }
    try {
      const response = await this.sessions.request(this.headersFor(access), fcmRequestBody(preparedMessage, token));
      if (response.status === 200) return { kind: 'delivered' };
      const outcome = classifyFcm(response.status, response.body, response.retryAfter);
      if (outcome.kind === 'retry' && outcome.cause === 'auth') this.auth.invalidate(access);
      return outcome;
    } catch {
      return { kind: 'retry', cause: 'network' };
    }
  }
}
