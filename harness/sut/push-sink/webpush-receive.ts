import { DecryptError, decryptWebPush, parseHeader } from './aes128gcm.ts';
import { clockSeconds, nowUs } from './clock.ts';
import type { Outcome } from './fcm-send.ts';
import type { SinkReply } from './reply.ts';
import type { SinkContext } from './sink-context.ts';
import { webPushErrors } from './webpush-errors.ts';

/** RFC 8030 §7.2: a push service MUST accept 4096 octets of body, and may refuse more. */
export const MAX_BODY_BYTES = 4096;
const MAX_TTL_SECONDS = 2_419_200;
const URGENCIES = new Set(['very-low', 'low', 'normal', 'high']);
const TOPIC_RE = /^[A-Za-z0-9_-]{1,32}$/;

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

const out = (reply: SinkReply, reason: string): Outcome => ({ reply, reason });

/**
 * `POST /wp/<id>`: injected fault → subscription (404 unknown, 410 dead or expired) → VAPID (401/403) →
 * TTL, Urgency, Topic → size (413) → encoding → decryption (sampled) → 201 + Location.
 */
export function handleWebPush(
  ctx: SinkContext,
  id: string,
  headers: Headers,
  body: Buffer,
  truncated: boolean,
): Outcome {
  const now = nowUs();
  const fault = ctx.faults.inject('webpush', now);
  if (fault) return out(webPushErrors.injected(fault.status, fault.retryAfterSeconds), `injected_${fault.cause}`);

  const sub = ctx.subscriptionVerdict(id);
  if (sub.kind === 'unknown') return out(webPushErrors.unknownSubscription(), 'unknown_subscription');
  const nowSeconds = clockSeconds();
  if (sub.expiresAt !== 0 && sub.expiresAt <= nowSeconds) {
    ctx.stats.deadHit('webpush', sub.index);
    return out(webPushErrors.expired(), 'expired');
  }
  if (sub.flaggedDead || sub.deadDraw < ctx.faults.deadFraction('webpush')) {
    ctx.stats.deadHit('webpush', sub.index);
    return out(webPushErrors.gone(), 'dead');
  }

  const authorization = header(headers, 'authorization');
  let vapidKey: Buffer | undefined;
  if (authorization || sub.restrictedKeyHash || ctx.config.webPush.requireVapid) {
    const vapid = ctx.vapid.check(authorization, nowSeconds);
    if (!vapid.ok) return out(webPushErrors.vapid(vapid.status, vapid.message), 'vapid');
    if (sub.restrictedKeyHash && !sub.restrictedKeyHash.equals(vapid.keyHash)) {
      return out(webPushErrors.vapid(403, 'VAPID key mismatch'), 'vapid_key_mismatch');
    }
    vapidKey = vapid.publicKey;
  }

  const ttlHeader = header(headers, 'ttl');
  if (ttlHeader === undefined) return out(webPushErrors.missingTtl(), 'missing_ttl');
  if (!/^\d+$/.test(ttlHeader.trim())) return out(webPushErrors.invalidTtl(), 'invalid_ttl');
  const ttl = Math.min(Number(ttlHeader), MAX_TTL_SECONDS);
  const urgency = header(headers, 'urgency');
  if (urgency !== undefined && !URGENCIES.has(urgency.trim()))
    return out(webPushErrors.invalidUrgency(), 'invalid_urgency');
  const topic = header(headers, 'topic');
  if (topic !== undefined && !TOPIC_RE.test(topic)) return out(webPushErrors.invalidTopic(), 'invalid_topic');
  if (truncated || body.length > MAX_BODY_BYTES) return out(webPushErrors.tooLarge(), 'too_large');

  if (body.length > 0) {
    const encoding = header(headers, 'content-encoding')?.trim().toLowerCase();
    if (encoding !== 'aes128gcm') {
      return out(
        webPushErrors.invalidEncoding(`Unsupported Content-Encoding ${encoding ?? '(none)'}: use aes128gcm`),
        'bad_encoding',
      );
    }
    try {
      parseHeader(body);
    } catch (error) {
      return out(webPushErrors.invalidEncoding(`Invalid aes128gcm body: ${(error as Error).message}`), 'bad_encoding');
    }
    if (ctx.faults.chance(ctx.config.webPush.decryptSampleRate)) {
      const ua = ctx.userAgentKeys(sub.index);
      if (vapidKey?.equals(ua.publicKey)) {
        return out(
          webPushErrors.vapid(400, 'the VAPID key k must not be the subscription p256dh key'),
          'vapid_is_p256dh',
        );
      }
      try {
        decryptWebPush(body, ua);
        ctx.stats.decrypted++;
      } catch (error) {
        ctx.stats.decryptFailed++;
        if (ctx.config.webPush.rejectUndecryptable) {
          const detail = error instanceof DecryptError ? error.message : 'decryption failed';
          return out(webPushErrors.invalidEncoding(`Could not decrypt the message: ${detail}`), 'undecryptable');
        }
      }
    }
  }

  const receipt = ctx.nextReceiptId();
  const acceptedUs = nowUs();
  const benchT = header(headers, 'x-bench-t');
  const enqueued = benchT === undefined ? undefined : Number(benchT);
  const enqueuedUs = enqueued !== undefined && Number.isFinite(enqueued) ? enqueued : undefined;
  ctx.stats.accepted(acceptedUs, enqueuedUs);
  ctx.receipts?.add({
    receipt,
    provider: 'webpush',
    device: sub.index,
    acceptedUs,
    pushId: header(headers, 'x-bench-push-id') ?? null,
    enqueuedUs: enqueuedUs ?? null,
  });
  return out(
    { status: 201, headers: { location: `${ctx.origin}/m/${receipt}`, ttl: String(ttl) }, body: '' },
    'accepted',
  );
}
