import type { Dispatcher } from 'undici';
import webpush from 'web-push';
import type { PushSubscriptionJson } from './api-schemas.ts';
import { classifyWebPush, type Outcome } from './outcome.ts';

export interface WebPushSenderOptions {
  vapidPublicKey: string;
  vapidPrivateKey: string;
  subject: string;
  requestTimeoutMs: number;
}

const HEADER_CACHE_MS = 12 * 3600 * 1000;
/** JWT lifetime: a header reused for 12 h still has ~12 h left, and never exceeds RFC 8292's 24 h. */
const JWT_LIFETIME_S = 24 * 3600 - 300;

/**
 * Web Push (RFC 8030/8291/8292): the request is built by web-push's `generateRequestDetails` (aes128gcm
 * encryption), with the VAPID `Authorization` header signed once per audience (push service origin) and
 * reused for 12 h — re-signing per message costs 4× the encryption (push.md §5). Sent with undici so it
 * shares the HTTP/2 sessions and trusts the sink's CA.
 */
export class WebPushSender {
  private readonly options: WebPushSenderOptions;
  private readonly dispatcher: Dispatcher;
  private readonly vapid = new Map<string, { header: string; untilMs: number }>();
  vapidSignatures = 0;

  constructor(options: WebPushSenderOptions, dispatcher: Dispatcher) {
    this.options = options;
    this.dispatcher = dispatcher;
  }

  private authorization(audience: string): string {
    const cached = this.vapid.get(audience);
    const now = Date.now();
    if (cached && now < cached.untilMs) return cached.header;
    const headers = webpush.getVapidHeaders(
      audience,
      this.options.subject,
      this.options.vapidPublicKey,
      this.options.vapidPrivateKey,
      'aes128gcm',
      Math.floor(now / 1000) + JWT_LIFETIME_S,
    );
    this.vapidSignatures++;
    this.vapid.set(audience, { header: headers.Authorization, untilMs: now + HEADER_CACHE_MS });
    return headers.Authorization;
  }

  async send(subscriptionJson: string, prepared: { h: Record<string, string>; p: string }): Promise<Outcome> {
    let subscription: PushSubscriptionJson;
    let url: URL;
    let details: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      subscription = JSON.parse(subscriptionJson) as PushSubscriptionJson;
      url = new URL(subscription.endpoint);
      const { TTL, Urgency, Topic, ...extra } = prepared.h;
      const options: webpush.RequestOptions = {
        TTL: TTL === undefined ? undefined : Number(TTL),
        urgency: Urgency as webpush.Urgency | undefined,
        topic: Topic,
        headers: { ...extra, Authorization: this.authorization(url.origin) },
        // Falsy on purpose: the Authorization header above is the cached VAPID signature.
        vapidDetails: null as never,
      };
      details = prepared.p
        ? webpush.generateRequestDetails(subscription, prepared.p, options)
        : webpush.generateRequestDetails(subscription, null, options);
    } catch {
      // A subscription whose keys do not encrypt (wrong length, not on the curve) can never be sent to.
      return { kind: 'failed', reason: 'invalid_subscription', dead: true };
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(details.headers)) {
      if (name.toLowerCase() !== 'content-length') headers[name] = String(value);
    }
    try {
      const response = await this.dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers,
        body: details.body ?? undefined,
        idempotent: true,
        headersTimeout: this.options.requestTimeoutMs,
        bodyTimeout: this.options.requestTimeoutMs,
      });
      await response.body.dump();
      return classifyWebPush(response.statusCode, response.headers['retry-after']);
    } catch {
      return { kind: 'retry', cause: 'network' };
    }
  }
}
