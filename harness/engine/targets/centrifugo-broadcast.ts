/**
 * `centrifugo-broadcast`: one message to every channel owing its stream (GrandChat's shape: one broadcast to
 * the `personal:<id>` channel of every member), split into calls of at most `channelsPerCall` channels sent
 * concurrently, each with the message's idempotency key (per channel on the server, so one key serves all
 * chunks and a retried chunk is never delivered twice). Per-channel errors inside a successful response are
 * reported as failed recipients.
 */
import { z } from 'zod';
import { type ApiOutcome, CentrifugoApi } from './centrifugo-api.ts';
import {
  type CreateTarget,
  type OutgoingMessage,
  type PublishTarget,
  publicationData,
  type SendOutcome,
  type TargetContext,
  WARM_UP_TIMEOUT_MS,
} from './publish-target.ts';

export const OptionsSchema = z.object({
  channelsPerCall: z.number().int().positive().max(100_000).default(1000),
});

export class CentrifugoBroadcastTarget implements PublishTarget {
  private readonly api: CentrifugoApi;
  private readonly chunks = new Map<string, { channels: string[]; json: string }[]>();
  private readonly runNonce: string;
  /** Most calls one message makes at once (its chunks): the connections a warm-up opens per node. */
  private readonly callsPerMessage: number;

  constructor(context: TargetContext) {
    const { channelsPerCall } = OptionsSchema.parse(context.options);
    let calls = 1;
    for (const channels of Object.values(context.streams))
      calls = Math.max(calls, Math.ceil(channels.length / channelsPerCall));
    const nodes = context.centrifugo.apiUrls.length;
    this.api = new CentrifugoApi(context.centrifugo.apiUrls, context.centrifugo.apiKey, {
      connectionsPerNode: Math.min(256, Math.max(4, Math.ceil((context.maxConcurrency * calls) / nodes))),
      timeoutMs: context.requestTimeoutMs,
    });
    this.runNonce = context.runNonce;
    this.callsPerMessage = calls;
    for (const [stream, channels] of Object.entries(context.streams)) {
      const chunks = [];
      for (let i = 0; i < channels.length; i += channelsPerCall) {
        const slice = channels.slice(i, i + channelsPerCall);
        chunks.push({ channels: slice, json: JSON.stringify(slice) });
      }
      this.chunks.set(stream, chunks);
    }
  }

  idempotencyKey(message: OutgoingMessage, suffix = ''): string {
    return `${this.runNonce}:${message.marker.s}:${message.marker.q}${suffix}`;
  }

  async send(message: OutgoingMessage, signal?: AbortSignal, keySuffix = ''): Promise<SendOutcome> {
    const chunks = this.chunks.get(message.marker.s);
    if (!chunks?.length) return { ok: false, code: 'no_recipients' };
    const data = publicationData(message.marker, message.padding);
    const key = JSON.stringify(this.idempotencyKey(message, keySuffix));
    const outcomes = await Promise.all(
      chunks.map((chunk) =>
        this.api.call('broadcast', `{"channels":${chunk.json},"data":${data},"idempotency_key":${key}}`, signal),
      ),
    );
    return combine(chunks, outcomes);
  }

  warmUp(): Promise<void> {
    // Up to 16 connections a node: enough to compile the client and open what a typical message uses;
    // a message of hundreds of chunks opens the rest itself.
    return this.api.warmUp(Math.min(this.callsPerMessage, 16), WARM_UP_TIMEOUT_MS);
  }

  close(): Promise<void> {
    return this.api.close();
  }
}

/** One message's outcome from its chunks: all failed → failed; some → accepted with failed recipients. */
function combine(chunks: { channels: string[] }[], outcomes: ApiOutcome[]): SendOutcome {
  const failedRecipients: string[] = [];
  const errors: string[] = [];
  let anyOk = false;
  outcomes.forEach((outcome, i) => {
    const channels = chunks[i]!.channels;
    errors.push(...outcome.failovers);
    if (!outcome.ok) {
      errors.push(outcome.code);
      failedRecipients.push(...channels);
      return;
    }
    anyOk = true;
    const responses = (outcome.result.responses ?? []) as { error?: { code: number } }[];
    responses.forEach((response, j) => {
      if (response.error) {
        errors.push(`centrifugo_${response.error.code}`);
        failedRecipients.push(channels[j]!);
      }
    });
  });
  if (!anyOk) {
    const first = errors.findIndex((e) => !e.startsWith('api_failover_'));
    const code = errors[first] ?? 'failed';
    const rest = errors.filter((_, i) => i !== first);
    return { ok: false, code, ...(rest.length ? { errors: rest } : {}) };
  }
  return {
    ok: true,
    ...(failedRecipients.length ? { failedRecipients } : {}),
    ...(errors.length ? { errors } : {}),
  };
}

export const createTarget: CreateTarget = (context) => new CentrifugoBroadcastTarget(context);
