/**
 * One HTTP exchange with a push API (`POST <origin>/api/<method>`, `X-API-Key`, JSON body, `{result}` or
 * `{error:{code,message}}` back): Centrifugo PRO's, the reference relay's, or any service with that contract.
 * The flood's client (engine/push/push-api.ts: errors become codes, a failed call is a data point) and the
 * relay's typed client (sut/push-relay/client.ts: errors throw) both build on it, each with its own error
 * contract; the wire is described once, here and in ./push-api.ts.
 */
import { Pool } from 'undici';
import type { PushApiEnvelope } from './push-api.ts';

export type PushApiReply<T> =
  | { ok: true; status: number; result: T }
  /** `error`: the API's own error; without it the answer was not the API's envelope (`text`: its start). */
  | { ok: false; status: number; error?: { code: number; message: string }; text: string };

export interface PushApiHttpOptions {
  /** Keep-alive connections to the API, one request each at a time. */
  connections: number;
  timeoutMs: number;
}

export class PushApiHttp {
  private readonly pool: Pool;
  private readonly headers: Record<string, string>;

  constructor(
    url: string,
    apiKey: string,
    private readonly options: PushApiHttpOptions,
  ) {
    this.pool = new Pool(new URL(url).origin, { connections: options.connections, keepAliveTimeout: 30_000 });
    this.headers = { 'x-api-key': apiKey, 'content-type': 'application/json' };
  }

  /** The API's answer; network errors and timeouts throw (undici's errors, with their `code`). */
  async post<T>(method: string, body: unknown): Promise<PushApiReply<T>> {
    const response = await this.pool.request({
      path: `/api/${method}`,
      method: 'POST',
      headers: this.headers,
      body: JSON.stringify(body),
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
    });
    const text = await response.body.text();
    const status = response.statusCode;
    let json: PushApiEnvelope<T> | undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {}
    if (json?.error) return { ok: false, status, error: json.error, text: text.slice(0, 200) };
    if (status !== 200 || !json || !('result' in json)) return { ok: false, status, text: text.slice(0, 200) };
    return { ok: true, status, result: json.result as T };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
