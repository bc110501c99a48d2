import { PushApiHttp } from '../../common/push-api-http.ts';

export type ApiReply<T> = { ok: true; result: T } | { ok: false; code: string; message: string };

/**
 * The flood's client of Centrifugo PRO's push API (`POST <url>/api/<method>`, `X-API-Key`, `{result}` /
 * `{error}`; wire shapes and the HTTP exchange in harness/common/push-api*.ts): the relay, a real Centrifugo PRO, or any service
 * with the same contract. Keep-alive connections, one request per connection at a time. Errors come back as
 * codes for errors-by-code ("push_api_107", "http_401", "timeout", "network"), never as exceptions: under
 * load a failed call is a data point, not a failure of the flood — which is why this is not the relay's own
 * client (harness/sut/push-relay/client.ts, which throws, and which the engine may not import anyway).
 */
export class PushApi {
  private readonly http: PushApiHttp;

  constructor(url: string, apiKey: string, options: { connections?: number; timeoutMs?: number } = {}) {
    this.http = new PushApiHttp(url, apiKey, {
      connections: options.connections ?? 16,
      timeoutMs: options.timeoutMs ?? 30_000,
    });
  }

  async call<T = unknown>(method: string, body: unknown): Promise<ApiReply<T>> {
    try {
      const reply = await this.http.post<T>(method, body);
      if (reply.ok) return { ok: true, result: reply.result };
      if (reply.error) return { ok: false, code: `push_api_${reply.error.code}`, message: reply.error.message };
      return { ok: false, code: `http_${reply.status}`, message: reply.text };
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

  close(): Promise<void> {
    return this.http.close();
  }
}
