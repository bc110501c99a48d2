import { readFileSync } from 'node:fs';
import { importPKCS8, SignJWT } from 'jose';
import type { Dispatcher } from 'undici';

export interface ServiceAccount {
  project_id: string;
  private_key: string;
  private_key_id?: string;
  client_email: string;
  token_uri?: string;
}

export function readServiceAccount(file: string): ServiceAccount {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Partial<ServiceAccount>;
  for (const field of ['project_id', 'private_key', 'client_email'] as const) {
    if (typeof json[field] !== 'string' || !json[field]) {
      throw new Error(`credentials file ${file}: field ${field} is missing (expected a Google service-account JSON)`);
    }
  }
  return json as ServiceAccount;
}

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

/**
 * An OAuth2 access token for FCM by the JWT-bearer grant (RFC 7523), as google-auth-library gets one:
 * an RS256 assertion signed with the service account's key, exchanged at `token_uri`. Cached until five
 * minutes before it expires (tokens live ~1 h); concurrent callers share one exchange.
 */
export class GoogleAccessToken {
  private readonly account: ServiceAccount;
  private readonly tokenUrl: string;
  private readonly dispatcher: Dispatcher;
  private cached: { token: string; refreshAtMs: number } | undefined;
  private inflight: Promise<string> | undefined;
  /** Exchanges made, for the relay's stats (a healthy relay makes about one an hour). */
  exchanges = 0;

  constructor(account: ServiceAccount, dispatcher: Dispatcher, tokenUrl?: string) {
    this.account = account;
    this.dispatcher = dispatcher;
    this.tokenUrl = tokenUrl ?? account.token_uri ?? 'https://oauth2.googleapis.com/token';
  }

  /** The cached token while it is fresh, without a promise (the send path's common case); else undefined. */
  current(): string | undefined {
    return this.cached && Date.now() < this.cached.refreshAtMs ? this.cached.token : undefined;
  }

  async get(): Promise<string> {
    const fresh = this.current();
    if (fresh !== undefined) return fresh;
    this.inflight ??= this.exchange().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** After a 401: the next `get()` exchanges again. */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async exchange(): Promise<string> {
    const key = await importPKCS8(this.account.private_key, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'JWT',
        ...(this.account.private_key_id && { kid: this.account.private_key_id }),
      })
      .setIssuer(this.account.client_email)
      .setAudience(this.tokenUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(key);
    const url = new URL(this.tokenUrl);
    const response = await this.dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) {
      throw new Error(`token exchange at ${this.tokenUrl} answered ${response.statusCode}: ${text.slice(0, 300)}`);
    }
    const body = JSON.parse(text) as { access_token?: string; expires_in?: number };
    if (!body.access_token) throw new Error(`token exchange at ${this.tokenUrl} returned no access_token`);
    this.exchanges++;
    const lifetimeMs = (body.expires_in ?? 3600) * 1000;
    this.cached = {
      token: body.access_token,
      refreshAtMs: Date.now() + Math.max(lifetimeMs - 300_000, lifetimeMs / 2),
    };
    return body.access_token;
  }
}
