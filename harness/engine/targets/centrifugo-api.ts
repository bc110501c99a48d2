/**
 * Centrifugo's server HTTP API (reference/centrifugo.md §2) over undici: one keep-alive pool per node,
 * `X-API-Key` auth, calls spread round-robin over the nodes. A call that cannot reach a node (refused, reset)
 * is retried once on the next node — a benchmark with a killed node measures the cluster, not the dead
 * node — and the failover is counted. Centrifugo errors come back as `{ error: { code } }` with HTTP 200.
 */
import { Pool } from 'undici';

export type ApiOutcome =
  | { ok: true; result: Record<string, unknown>; failovers: string[] }
  | { ok: false; code: string; failovers: string[] };

export class CentrifugoApi {
  private readonly pools: Pool[];
  private readonly paths: string[];
  private next = 0;

  constructor(
    apiUrls: string[],
    private readonly apiKey: string,
    options: { connectionsPerNode: number; timeoutMs: number },
  ) {
    if (!apiUrls.length) throw new Error('no Centrifugo API URL');
    this.pools = apiUrls.map(
      (url) =>
        new Pool(new URL(url).origin, {
          connections: options.connectionsPerNode,
          pipelining: 1,
          keepAliveTimeout: 30_000,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
        }),
    );
    this.paths = apiUrls.map((url) => new URL(url).pathname.replace(/\/$/, ''));
  }

  /** POST /api/<method>; the body is JSON already (built once per message). */
  async call(method: string, body: string, signal?: AbortSignal): Promise<ApiOutcome> {
    const failovers: string[] = [];
    const first = this.next++ % this.pools.length;
    const attempts = Math.min(2, this.pools.length);
    for (let attempt = 0; attempt < attempts; attempt++) {
      const index = (first + attempt) % this.pools.length;
      try {
        const { statusCode, text } = await this.post(index, method, body, signal);
        if (statusCode !== 200) return { ok: false, code: `http_${statusCode}`, failovers };
        // Callers read a reply's errors only (a broadcast's per-channel errors; nothing else of its 1,000
        // `{"result":{"offset":…,"epoch":…}}` entries), and an error key is always the bytes `"error"`:
        // without them there is no error, and the parse (~0.25 ms and 1,000 objects per 1,000-channel
        // broadcast) is skipped (issue 18). A string merely containing them falls back to the parse.
        if (!text.includes('"error"')) return { ok: true, result: {}, failovers };
        const reply = JSON.parse(text) as { result?: Record<string, unknown>; error?: { code: number } };
        if (reply.error) return { ok: false, code: `centrifugo_${reply.error.code}`, failovers };
        return { ok: true, result: reply.result ?? {}, failovers };
      } catch (error) {
        const code = errorCode(error);
        const unreachable = code === 'net_ECONNREFUSED' || code === 'net_ECONNRESET' || code === 'net_UND_ERR_SOCKET';
        if (unreachable && attempt + 1 < attempts && !signal?.aborted) {
          failovers.push(`api_failover_${code.slice(4)}`);
          continue;
        }
        return { ok: false, code, failovers };
      }
    }
    return { ok: false, code: 'unreachable', failovers };
  }

  /**
   * `connections` concurrent `info` calls to every node (read-only: node names and counts), errors ignored:
   * the client's code compiled and its connections open before the first real call (PublishTarget.warmUp).
   */
  async warmUp(connections: number, timeoutMs: number): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    const calls = this.pools.flatMap((_, index) =>
      Array.from({ length: connections }, () => this.post(index, 'info', '{}', signal)),
    );
    await Promise.allSettled(calls);
  }

  /** One POST /api/<method> to node `index`, its whole reply read. */
  private async post(
    index: number,
    method: string,
    body: string,
    signal?: AbortSignal,
  ): Promise<{ statusCode: number; text: string }> {
    const response = await this.pools[index]!.request({
      method: 'POST',
      path: `${this.paths[index]}/${method}`,
      headers: { 'content-type': 'application/json', 'x-api-key': this.apiKey },
      body,
      signal,
    });
    return { statusCode: response.statusCode, text: await response.body.text() };
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.destroy().catch(() => {})));
  }
}

function errorCode(error: unknown): string {
  const e = error as { name?: string; code?: string };
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return 'interrupted';
  if (e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (e.code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect_timeout';
  return `net_${e.code ?? 'error'}`;
}
