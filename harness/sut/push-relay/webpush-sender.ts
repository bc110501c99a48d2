import http2 from 'node:http2';
import webpush from 'web-push';
import type { PushSubscriptionJson } from './api-schemas.ts';
import { EcdhHelper, nodeEcdh } from './ecdh-helper.ts';
import { H2Sessions } from './h2-sessions.ts';
import { classifyWebPush, type Outcome } from './outcome.ts';
import { encryptWebPushWith, type UserAgentKeys, userAgentKeys } from './webpush-encrypt.ts';

export interface WebPushSenderOptions {
  vapidPublicKey: string;
  vapidPrivateKey: string;
  subject: string;
  requestTimeoutMs: number;
  /** HTTP/2 sessions per push-service origin. */
  connectionsPerOrigin: number;
  /** The CA the push services' certificates chain to (the sink's), or the system's. */
  ca?: Buffer;
  /** The ECDH helper binary (`resolveEcdhHelper`); undefined: ECDH on node:crypto. */
  ecdhHelper?: string;
  log?: (message: string) => void;
}

const { HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH } = http2.constants;
const HEADER_CACHE_MS = 12 * 3600 * 1000;
/** JWT lifetime: a header reused for 12 h still has ~12 h left, and never exceeds RFC 8292's 24 h. */
const JWT_LIFETIME_S = 24 * 3600 - 300;
/** RFC 8030 §5.2: TTL is required; web-push's default (4 weeks) when the notification names none. */
const DEFAULT_TTL = '2419200';
/** Decoded subscriptions kept; a flood repeats the same devices, a long-running relay sees new ones. */
const SUBSCRIPTION_CACHE_SIZE = 200_000;

interface Subscription {
  origin: string;
  path: string;
  keys: UserAgentKeys;
}

/**
 * Web Push (RFC 8030/8291/8292): aes128gcm encryption per message (`encryptWebPushWith`: a fresh sender key
 * pair and salt each time, as the RFC requires; the ECDH in this process's helper, `EcdhHelper`, when there is
 * one — it falls back to node:crypto on its own), the VAPID `Authorization` header signed once per
 * audience (push service origin) and reused for 12 h — re-signing per message costs 4× the encryption
 * (push.md §5) — and the request sent over raw `node:http2` sessions per origin (`H2Sessions`, as FCM: about
 * half undici's CPU per request). A subscription's JSON is decoded once and kept.
 */
export class WebPushSender {
  private readonly vapid = new Map<string, { header: string; untilMs: number }>();
  private readonly sessions = new Map<string, H2Sessions>();
  private readonly subscriptions = new Map<string, Subscription | null>();
  private readonly ecdh: EcdhHelper | undefined;
  vapidSignatures = 0;

  constructor(private readonly options: WebPushSenderOptions) {
    this.ecdh = options.ecdhHelper ? new EcdhHelper(options.ecdhHelper, options.log) : undefined;
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

  /** The subscription decoded, or null when its keys cannot encrypt (remembered: it never will). */
  private subscription(json: string): Subscription | null {
    const cached = this.subscriptions.get(json);
    if (cached !== undefined) return cached;
    let decoded: Subscription | null;
    try {
      const parsed = JSON.parse(json) as PushSubscriptionJson;
      const url = new URL(parsed.endpoint);
      decoded = {
        origin: url.origin,
        path: url.pathname + url.search,
        keys: userAgentKeys(parsed.keys.p256dh, parsed.keys.auth),
      };
    } catch {
      decoded = null;
    }
    if (this.subscriptions.size >= SUBSCRIPTION_CACHE_SIZE) this.subscriptions.clear();
    this.subscriptions.set(json, decoded);
    return decoded;
  }

  private sessionsFor(origin: string): H2Sessions {
    let sessions = this.sessions.get(origin);
    if (!sessions) {
      sessions = new H2Sessions(
        origin,
        this.options.connectionsPerOrigin,
        this.options.ca,
        this.options.requestTimeoutMs,
      );
      this.sessions.set(origin, sessions);
    }
    return sessions;
  }

  async send(subscriptionJson: string, prepared: { h: Record<string, string>; p: string }): Promise<Outcome> {
    const subscription = this.subscription(subscriptionJson);
    // A subscription whose keys do not encrypt (wrong length, not on the curve) can never be sent to.
    if (!subscription) return { kind: 'failed', reason: 'invalid_subscription', dead: true };
    const headers: http2.OutgoingHttpHeaders = {
      [HTTP2_HEADER_METHOD]: 'POST',
      [HTTP2_HEADER_PATH]: subscription.path,
      ttl: DEFAULT_TTL,
      authorization: this.authorization(subscription.origin),
    };
    for (const name in prepared.h) headers[name.toLowerCase()] = prepared.h[name];
    let body: Buffer | string = '';
    if (prepared.p) {
      try {
        const keys = subscription.keys;
        const ecdh = this.ecdh ? await this.ecdh.derive(keys.publicKey) : nodeEcdh(keys.publicKey);
        body = encryptWebPushWith(keys, Buffer.from(prepared.p), ecdh);
      } catch {
        return { kind: 'failed', reason: 'invalid_subscription', dead: true };
      }
      headers['content-type'] = 'application/octet-stream';
      headers['content-encoding'] = 'aes128gcm';
    }
    try {
      const response = await this.sessionsFor(subscription.origin).request(headers, body);
      return classifyWebPush(response.status, response.retryAfter);
    } catch {
      return { kind: 'retry', cause: 'network' };
    }
  }

  close(): void {
    this.ecdh?.close();
    for (const sessions of this.sessions.values()) sessions.close();
    this.sessions.clear();
  }
}
