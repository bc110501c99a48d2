/**
 * A publish target for tests that breaks on purpose, in ways the accounting must see exactly. It wraps
 * centrifugo-broadcast; options under `faulty`:
 *   skip: [q…]        report these as published but never send them  → exactly |skip| × owed subscribers lost
 *   duplicate: [q…]   send these twice (a different idempotency key, or Centrifugo would drop the copy)
 *                     → exactly |duplicate| × owed subscribers duplicated, nothing lost
 *   shiftMs, shiftEvery: every `shiftEvery`-th message claims an intended time `shiftMs` earlier
 *                     → those deliveries show up exactly `shiftMs` later in delivery_latency
 *   delayMs:          hold every message this long before sending it (a slow publish path: latency from
 *                     the intended time grows by it; a subscriber joining meanwhile gets it unowed)
 * Loaded by absolute path (targets/registry.ts accepts module paths): it is not a registered target.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CentrifugoBroadcastTarget } from '../targets/centrifugo-broadcast.ts';
import type { CreateTarget, OutgoingMessage, PublishTarget, SendOutcome } from '../targets/publish-target.ts';

interface FaultyOptions {
  skip?: number[];
  duplicate?: number[];
  shiftMs?: number;
  shiftEvery?: number;
  delayMs?: number;
}

export const createTarget: CreateTarget = (context) => {
  const inner = new CentrifugoBroadcastTarget(context);
  const options = (context.options.faulty ?? {}) as FaultyOptions;
  const skip = new Set(options.skip ?? []);
  const duplicate = new Set(options.duplicate ?? []);
  const target: PublishTarget = {
    async send(message: OutgoingMessage, signal?: AbortSignal): Promise<SendOutcome> {
      const { q } = message.marker;
      if (skip.has(q)) return { ok: true };
      if (options.delayMs) await sleep(options.delayMs, undefined, signal ? { signal } : {});
      let sent = message;
      if (options.shiftMs && options.shiftEvery && q % options.shiftEvery === 0) {
        sent = { ...message, marker: { ...message.marker, t: message.marker.t - options.shiftMs * 1000 } };
      }
      const outcome = await inner.send(sent, signal);
      if (duplicate.has(q)) await inner.send(sent, signal, ':again');
      return outcome;
    },
    close: () => inner.close(),
  };
  return target;
};
