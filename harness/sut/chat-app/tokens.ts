import { SignJWT } from 'jose';

/**
 * GrandChat's token views (GC:backend/app/views.py): HS256 JWTs signed with Centrifugo's HMAC secret — a
 * connection token `{sub, exp}` and a subscription token `{sub, channel, exp}` for the user's own
 * `personal:<id>` channel only (reference/centrifugo.md §4).
 */
export class TokenSigner {
  private readonly key: Uint8Array;

  constructor(
    hmacSecret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(hmacSecret);
  }

  private sign(claims: Record<string, unknown>): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + this.ttlSeconds)
      .sign(this.key);
  }

  connection(userId: number): Promise<string> {
    return this.sign({ sub: String(userId) });
  }

  subscription(userId: number, channel: string): Promise<string> {
    return this.sign({ sub: String(userId), channel });
  }
}

export function personalChannel(userId: number): string {
  return `personal:${userId}`;
}
