/**
 * One subscriber against a real Centrifugo node in a test: user `u1` on `personal:u1`, tokens minted with
 * the stack's HMAC secret, no reconnect (a close is the test's finding, not something to recover from).
 */
import { TokenMinter } from '../protocol/jwt.ts';
import {
  SubscriberConnection,
  type SubscriberListener,
  type SubscriberProtocol,
} from '../protocol/subscriber-connection.ts';

export const LIVE_CHANNEL = 'personal:u1';

/** Dials `wsUrl` at once; the connection's state says when it is subscribed. */
export async function openLiveSubscriber(options: {
  wsUrl: string;
  hmacSecret: string;
  protocol: SubscriberProtocol;
  listener: SubscriberListener;
}): Promise<SubscriberConnection> {
  const minter = new TokenMinter(options.hmacSecret);
  const conn = new SubscriberConnection(
    {
      urls: [options.wsUrl],
      userId: 'u1',
      channel: LIVE_CHANNEL,
      connectionToken: await minter.connection('u1'),
      subscriptionToken: await minter.subscription('u1', LIVE_CHANNEL),
      connectTimeoutMs: 5000,
      reconnect: { enabled: false, minDelayMs: 100, maxDelayMs: 500 },
      protocol: options.protocol,
    },
    options.listener,
  );
  conn.open();
  return conn;
}
