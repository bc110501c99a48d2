import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import { importPKCS8, SignJWT } from 'jose';
import type { SinkEndpoints } from './primary.ts';

/** A small client for tests: HTTP/2 and HTTP/1.1 requests to a sink, trusting its per-run CA. */
export interface TestReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = unknown>(): T;
}

function reply(status: number, headers: TestReply['headers'], body: string): TestReply {
  return { status, headers, body, json: <T>() => JSON.parse(body) as T };
}

export class SinkClient {
  readonly ca: Buffer;
  private readonly agent: https.Agent;
  private session: http2.ClientHttp2Session | undefined;

  constructor(readonly endpoints: SinkEndpoints) {
    this.ca = readFileSync(endpoints.caFile);
    this.agent = new https.Agent({ ca: this.ca, keepAlive: true });
  }

  get httpsAgent(): https.Agent {
    return this.agent;
  }

  /** HTTP/1.1 over TLS. */
  h1(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<TestReply> {
    return new Promise((resolve, reject) => {
      const req = https.request(`${this.endpoints.url}${path}`, { method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(reply(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8'))));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** HTTP/2 over TLS (ALPN h2), one session reused. */
  h2(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<TestReply> {
    if (!this.session || this.session.closed || this.session.destroyed) {
      this.session = http2.connect(this.endpoints.url, { ca: this.ca });
      this.session.on('error', () => {});
    }
    const session = this.session;
    return new Promise((resolve, reject) => {
      const stream = session.request({ ':method': method, ':path': path, ...headers });
      let responseHeaders: TestReply['headers'] = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        responseHeaders = h as TestReply['headers'];
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () =>
        resolve(reply(Number(responseHeaders[':status']), responseHeaders, Buffer.concat(chunks).toString('utf8'))),
      );
      stream.on('error', reject);
      stream.end(body);
    });
  }

  async control<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.h1(method, `/__sink${path}`, body === undefined ? undefined : JSON.stringify(body), {
      'content-type': 'application/json',
    });
    if (res.status !== 200) throw new Error(`${method} ${path} → ${res.status} ${res.body}`);
    return res.json<T>();
  }

  /** An RS256 assertion signed with the credentials file, as google-auth-library builds it. */
  async assertion(claims: Record<string, unknown> = {}, privateKeyPem?: string): Promise<string> {
    const account = JSON.parse(readFileSync(this.endpoints.credentialsFile, 'utf8')) as {
      private_key: string;
      private_key_id: string;
      client_email: string;
      token_uri: string;
    };
    const key = await importPKCS8(privateKeyPem ?? account.private_key, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ scope: 'https://www.googleapis.com/auth/firebase.messaging', ...claims })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: account.private_key_id })
      .setIssuer((claims.iss as string) ?? account.client_email)
      .setAudience((claims.aud as string) ?? account.token_uri)
      .setIssuedAt((claims.iat as number) ?? now)
      .setExpirationTime((claims.exp as number) ?? now + 3600)
      .sign(key);
  }

  tokenRequest(assertion: string, grantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer'): Promise<TestReply> {
    return this.h1('POST', '/token', new URLSearchParams({ grant_type: grantType, assertion }).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
    });
  }

  async accessToken(): Promise<string> {
    const res = await this.tokenRequest(await this.assertion());
    if (res.status !== 200) throw new Error(`token: ${res.status} ${res.body}`);
    return res.json<{ access_token: string }>().access_token;
  }

  send(accessToken: string, message: unknown, options: { http1?: boolean; project?: string } = {}): Promise<TestReply> {
    const path = `/v1/projects/${options.project ?? this.endpoints.projectId}/messages:send`;
    const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ message });
    return options.http1 ? this.h1('POST', path, body, headers) : this.h2('POST', path, body, headers);
  }

  close(): void {
    this.session?.close();
    this.agent.destroy();
  }
}
