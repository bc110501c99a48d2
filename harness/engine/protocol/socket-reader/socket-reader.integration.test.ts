/**
 * Pongs written in C against a real Centrifugo: with the native socket reader on in this process, a JSON and a
 * Protobuf subscriber live through Centrifugo's pings (every 2 s, pong timeout 1 s — a missing or malformed
 * pong closes the connection with 3012) and still receive a publication afterwards, while the pings were
 * answered in C (counted) and the dead-connection check sees them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { monoUs } from '../../../common/mono-clock.ts';
import { withStack } from '../../../stack/testing.ts';
import { LIVE_CHANNEL, openLiveSubscriber } from '../../testing/live-subscriber.ts';
import type { SubscriberListener, SubscriberProtocol } from '../subscriber-connection.ts';
import { buildSocketReader } from './build.ts';
import { nativePingStats, useNativeSocketReader } from './reader.ts';

const built = buildSocketReader();

test('real Centrifugo accepts the pongs written in C (JSON and Protobuf): no close for 7 s of 2 s pings', {
  skip: 'reason' in built ? built.reason : false,
}, async () => {
  if ('path' in built) useNativeSocketReader(built.path);
  await withStack(
    { engine: 'memory', centrifugo: { logLevel: 'warn', pingInterval: '2s', pongTimeout: '1s' } },
    async (stack) => {
      const node = stack.endpoints.centrifugo.nodes[0]!;
      const open = async (protocol: SubscriberProtocol) => {
        const events: string[] = [];
        const listener: SubscriberListener = {
          connected: () => {},
          subscribed: () => events.push('subscribed'),
          publication: (_c, pub) => events.push(`publication ${pub.offset}`),
          marker: (_c, _data, _start, _end, q) => events.push(`publication ${q}`),
          unsubscribed: () => {},
          error: (_c, code) => events.push(`error ${code}`),
          terminal: (_c, reason) => events.push(`terminal ${reason}`),
        };
        const conn = await openLiveSubscriber({
          wsUrl: node.wsUrl,
          hmacSecret: stack.secrets.centrifugoHmacSecret,
          protocol,
          listener,
        });
        return { conn, events };
      };
      const subscribers = [await open('json'), await open('protobuf')];
      for (let i = 0; i < 100 && subscribers.some((s) => s.conn.state !== 'subscribed'); i++) await sleep(50);
      const before = nativePingStats().answered;
      // Three pings each (2 s apart) and their pong timeouts.
      await sleep(7000);
      const answered = nativePingStats().answered - before;
      const response = await fetch(`${node.apiUrl}/publish`, {
        method: 'POST',
        headers: { 'X-API-Key': stack.secrets.centrifugoApiKey, 'Content-Type': 'application/json' },
        body: `{"channel":"${LIVE_CHANNEL}","data":{"bench":{"s":"b","q":1,"t":1}}}`,
      });
      assert.equal(response.status, 200, await response.text());
      await sleep(300);
      for (const { conn, events } of subscribers) {
        assert.equal(conn.state, 'subscribed', events.join(', '));
        assert.deepEqual(events, ['subscribed', 'publication 1'], 'no close, no error, the publication after');
        // The last ping was answered in C, within a ping interval or so: the dead-connection check sees it.
        assert.ok(monoUs() / 1000 - conn.lastFrameAtMs < 3000, `last frame ${conn.lastFrameAtMs}`);
        conn.close();
      }
      assert.ok(answered >= 4, `${answered} pings answered in C (expected ~3 per connection)`);
    },
  );
});
