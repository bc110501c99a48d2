/**
 * Connection and subscription JWTs for Centrifugo (reference/centrifugo.md §4), HS256 with the run's HMAC
 * secret. No `exp`: a benchmark must not have its connections expire mid-run (with `exp` the server would
 * close them with 3005 unless refreshed), and the secret lives only as long as the run's stack.
 */
import { SignJWT } from 'jose';

export class TokenMinter {
  private readonly key: Uint8Array;

  constructor(hmacSecret: string) {
    this.key = new TextEncoder().encode(hmacSecret);
  }

  /** `{ sub }`: the user this connection authenticates as. */
  connection(userId: string): Promise<string> {
    return new SignJWT({ sub: userId }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(this.key);
  }

  /** `{ sub, channel }`: `sub` must equal the connection's user, `channel` the channel subscribed. */
  subscription(userId: string, channel: string): Promise<string> {
    return new SignJWT({ sub: userId, channel }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(this.key);
  }
}
