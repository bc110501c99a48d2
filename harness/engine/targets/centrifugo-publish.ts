/**
 * `centrifugo-publish`: one channel per message — each stream is one channel, and the publisher goes
 * round-robin over the streams. Uses the `publish` API method with an idempotency key per message.
 */
import { CentrifugoApi } from './centrifugo-api.ts';
import {
  type CreateTarget,
  type OutgoingMessage,
  type PublishTarget,
  publicationData,
  type SendOutcome,
  type TargetContext,
  WARM_UP_TIMEOUT_MS,
} from './publish-target.ts';

export class CentrifugoPublishTarget implements PublishTarget {
  private readonly api: CentrifugoApi;
  private readonly channelOf = new Map<string, string>();
  private readonly runNonce: string;

  constructor(context: TargetContext) {
    for (const [stream, channels] of Object.entries(context.streams)) {
      if (channels.length !== 1) {
        throw new Error(
          `centrifugo-publish sends each message to one channel, but stream '${stream}' has ${channels.length} ` +
            'recipients; use centrifugo-broadcast',
        );
      }
      this.channelOf.set(stream, JSON.stringify(channels[0]));
    }
    this.runNonce = context.runNonce;
    const nodes = context.centrifugo.apiUrls.length;
    this.api = new CentrifugoApi(context.centrifugo.apiUrls, context.centrifugo.apiKey, {
      connectionsPerNode: Math.min(256, Math.max(4, Math.ceil(context.maxConcurrency / nodes))),
      timeoutMs: context.requestTimeoutMs,
    });
  }

  async send(message: OutgoingMessage, signal?: AbortSignal): Promise<SendOutcome> {
    const channel = this.channelOf.get(message.marker.s);
    if (!channel) return { ok: false, code: 'no_recipients' };
    const key = JSON.stringify(`${this.runNonce}:${message.marker.s}:${message.marker.q}`);
    const body = `{"channel":${channel},"data":${publicationData(message.marker, message.padding)},"idempotency_key":${key}}`;
    const outcome = await this.api.call('publish', body, signal);
    const errors = outcome.failovers.length ? { errors: outcome.failovers } : {};
    return outcome.ok ? { ok: true, ...errors } : { ok: false, code: outcome.code, ...errors };
  }

  warmUp(): Promise<void> {
    return this.api.warmUp(1, WARM_UP_TIMEOUT_MS);
  }

  close(): Promise<void> {
    return this.api.close();
  }
}

export const createTarget: CreateTarget = (context) => new CentrifugoPublishTarget(context);
