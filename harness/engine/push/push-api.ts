import { Pool } from 'undici';
import type { PushApiEnvelope } from '../../common/push-api.ts';

export type ApiReply<T> = { ok: true; result: T } | { ok: false; code: string; message: string };

/**
 * The flood's client of Centrifugo PRO's push API (`POST <url>/api/<method>`, `X-API-Key`, `{result}` /
 * `{error}`; wire shapes in harness/common/push-api.ts): the relay, a real Centrifugo PRO, or any service
 * with the same contract. Keep-alive connections, one request per connection at a time. Errors come back as
 * codes for errors-by-code ("push_api_107", "http_401", "timeout", "network"), never as exceptions: under
 * load a failed call is a data point, not a failure of the flood — which is why this is not the relay's own
 * client (harness/sut/push-relay/client.ts, which throws, and which the engine may not import anyway).
 */
export class PushApi {
  private readonly pool: Pool;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(url: string, apiKey: string, options: { connections?: number; timeoutMs?: number } = {}) {
    this.pool = new Pool(new URL(url).origin, { connections: options.connections ?? 16, keepAliveTimeout: 30_000 });
    this.headers = { 'x-api-key': apiKey, 'content-type': 'application/json' };
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async call<T = unknown>(method: string, body: unknown): Promise<ApiReply<T>> {
    try {
      const response = await this.pool.request({
        path: `/api/${method}`,
        method: 'POST',
        headers: this.headers,
        body: JSON.stringify(body),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const text = await response.body.text();
      let json: PushApiEnvelope<T> | undefined;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {}
      if (json?.error) return { ok: false, code: `push_api_${json.error.code}`, message: json.error.message };
      if (response.statusCode !== 200 || !json || !('result' in json)) {
        return { ok: false, code: `http_${response.statusCode}`, message: text.slice(0, 200) };
      }
      return { ok: true, result: json.result as T };
    } catch (error) {
      const name = (error as { code?: string }).code ?? '';
      return { ok: false, code: name.includes('TIMEOUT') ? 'timeout' : 'network', message: (error as Error).message };
    }
  }

  /** The result, or an Error naming the method: for setup calls that must succeed (registration). */
  async must<T = unknown>(method: string, body: unknown): Promise<T> {
    const reply = await this.call<T>(method, body);
    if (!reply.ok) throw new Error(`${method} failed: ${reply.code}: ${reply.message}`);
    return reply.result;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
