import { SCOPE_FCM } from './access-tokens.ts';
import { clockSeconds, nowUs } from './clock.ts';
import { fcmErrors, GOOGLE_JSON } from './fcm-errors.ts';
import { validateSendBody } from './fcm-message.ts';
import type { SinkReply } from './reply.ts';
import type { SinkContext } from './sink-context.ts';

/** A reply and the reason it is counted under in the stats (README "Stats"). */
export interface Outcome {
  reply: SinkReply;
  reason: string;
}

const out = (reply: SinkReply, reason: string): Outcome => ({ reply, reason });

/**
 * `POST /v1/projects/{project}/messages:send`, in FCM's order (README): auth → injected fault → project →
 * quota → body → token → per-device limit → accept. Synchronous unless the quota lease must be refilled.
 */
export function handleFcmSend(
  ctx: SinkContext,
  project: string,
  authorization: string | undefined,
  body: Buffer,
  truncated: boolean,
): Outcome | Promise<Outcome> {
  const bearer = authorization && /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  if (!bearer) return out(fcmErrors.missingCredential(), 'no_credential');
  const token = ctx.accessTokens.read(bearer);
  if (!token || token.expiresAt <= clockSeconds()) return out(fcmErrors.invalidCredential(), 'bad_credential');
  if (!(token.scopes & SCOPE_FCM)) return out(fcmErrors.insufficientScopes(), 'insufficient_scope');

  const now = nowUs();
  const fault = ctx.faults.inject('fcm', now);
  if (fault) {
    const reason = `injected_${fault.cause}`;
    switch (fault.status) {
      case 401:
        return out(fcmErrors.invalidCredential(), reason);
      case 429:
        return out(
          fcmErrors.projectQuota(ctx.projectNumber, ctx.config.fcm.quota.perMinute, fault.retryAfterSeconds),
          reason,
        );
      case 500:
        return out(fcmErrors.internal(), reason);
      default:
        return out(fcmErrors.unavailable(fault.retryAfterSeconds), reason);
    }
  }
  if (project !== ctx.projectId && project !== ctx.projectNumber) {
    return out(fcmErrors.permissionDenied(project), 'wrong_project');
  }
  const taken = ctx.quota.take();
  if (taken === true) return afterQuota(ctx, body, truncated);
  return taken.then((result) => {
    if (result.ok) return afterQuota(ctx, body, truncated);
    const configured = ctx.config.fcm.quota.retryAfterSeconds;
    const retryAfter = configured ?? Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    return out(fcmErrors.projectQuota(ctx.projectNumber, ctx.config.fcm.quota.perMinute, retryAfter), 'quota_project');
  });
}

function afterQuota(ctx: SinkContext, body: Buffer, truncated: boolean): Outcome {
  if (truncated) return out(fcmErrors.tooBig(), 'too_big');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return out(
      fcmErrors.badField(undefined, `Invalid JSON payload received. ${(error as Error).message.split('\n')[0]}`),
      'bad_json',
    );
  }
  const verdict = validateSendBody(parsed);
  if (!verdict.ok) return out(verdict.reply, 'invalid_argument');

  let device = -1;
  if (verdict.target.kind === 'token') {
    const tokenVerdict = ctx.fcmTokenVerdict(verdict.target.token);
    if (tokenVerdict.kind === 'malformed') return out(fcmErrors.invalidToken(), 'invalid_token');
    if (tokenVerdict.kind === 'unknown') return out(fcmErrors.unregistered(), 'unregistered');
    if (tokenVerdict.projectTag !== ctx.projectTag && !tokenVerdict.projectTag.equals(ctx.projectTag)) {
      return out(fcmErrors.senderIdMismatch(), 'sender_id_mismatch');
    }
    device = tokenVerdict.index;
    if (tokenVerdict.flaggedDead || tokenVerdict.deadDraw < ctx.faults.deadFraction('fcm')) {
      ctx.stats.deadHit('fcm', device);
      return out(fcmErrors.unregistered(), 'dead');
    }
    if (ctx.devices) {
      const limit = ctx.devices.hit(device, nowUs());
      if (!limit.ok) {
        // FCM counts 429s against nothing: give the quota token back.
        ctx.quota.refund();
        return out(fcmErrors.deviceQuota(limit.retryAfterSeconds), 'quota_device');
      }
    }
  }

  const receipt = ctx.nextReceiptId();
  const acceptedUs = nowUs();
  const name = `projects/${ctx.projectId}/messages/0:${acceptedUs}%${receipt}`;
  const reply: SinkReply = {
    status: 200,
    headers: { 'content-type': GOOGLE_JSON },
    body: `{\n  "name": "${name}"\n}\n`,
  };
  if (verdict.validateOnly) {
    ctx.stats.validateOnly++;
    return out(reply, 'validate_only');
  }
  ctx.stats.accepted(acceptedUs, verdict.enqueuedUs);
  ctx.receipts?.add({
    receipt,
    provider: 'fcm',
    device,
    acceptedUs,
    pushId: verdict.pushId ?? null,
    enqueuedUs: verdict.enqueuedUs ?? null,
  });
  return out(reply, 'accepted');
}
