/**
 * `chat-app`: publishes through the reference chat app (harness/sut/chat-app) instead of Centrifugo's API —
 * one `POST /api/rooms/<id>/messages` per message, and the app broadcasts to every member of the room by
 * its mode (api, outbox, redis_stream, …). A stream is a room: `room:<id>` (`roomStream`). The app answers
 * with its own timings, recorded as `creation_duration` (request → commit) and `broadcast_duration` (the
 * broadcast call after commit; absent when Centrifugo's consumers do the broadcasting) and, when the app sends
 * GrandChat's push too, `push_enqueue_duration` (its send_push_notification call).
 *
 * A message whose broadcast failed inside the app is still accepted (the app created it; GrandChat returns
 * 201 too): its loss shows in delivery accounting, and the failure is counted as `broadcast_<code>`.
 *
 * Options (`targetOptions`): `url` of the chat app (StackEndpoints.chatApp.url), `authorUserId` (default 1:
 * in GrandChat's dataset the first users are members of every room).
 */
import { Pool } from 'undici';
import { z } from 'zod';
import {
  type CreateTarget,
  type OutgoingMessage,
  type PublishTarget,
  type SendOutcome,
  type TargetContext,
  WARM_UP_TIMEOUT_MS,
} from './publish-target.ts';

export const OptionsSchema = z.object({
  url: z.string().url(),
  authorUserId: z.number().int().positive().default(1),
});

const STREAM_PREFIX = 'room:';

/** The stream id of a room: what the audience lists and the bench marker's `s` carries. */
export function roomStream(roomId: number | string): string {
  return `${STREAM_PREFIX}${roomId}`;
}

/** The room id of a stream, or undefined when the stream is not a room. */
export function roomIdOfStream(stream: string): number | undefined {
  if (!stream.startsWith(STREAM_PREFIX)) return undefined;
  const id = Number(stream.slice(STREAM_PREFIX.length));
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/** What the chat app answers to a created message (harness/sut/chat-app/README.md). */
export interface CreatedMessage {
  id: number;
  timings: { creation_ms: number; broadcast_ms?: number; push_ms?: number };
  broadcast: { ok: boolean; calls: number; errors?: string[] };
  /** Present when the app sends GrandChat's push per message (chatApp.push). */
  push?: { ok: boolean; error?: string };
}

export class ChatAppTarget implements PublishTarget {
  private readonly pool: Pool;
  private readonly author: string;

  constructor(context: TargetContext) {
    const options = OptionsSchema.parse(context.options);
    for (const stream of Object.keys(context.streams)) {
      if (roomIdOfStream(stream) === undefined) {
        throw new Error(`chat-app publishes to rooms; stream '${stream}' is not a room stream (room:<id>)`);
      }
    }
    this.author = String(options.authorUserId);
    this.pool = new Pool(new URL(options.url).origin, {
      connections: Math.min(256, Math.max(4, context.maxConcurrency)),
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: context.requestTimeoutMs,
      bodyTimeout: context.requestTimeoutMs,
    });
  }

  async send(message: OutgoingMessage, signal?: AbortSignal): Promise<SendOutcome> {
    const roomId = roomIdOfStream(message.marker.s);
    if (roomId === undefined) return { ok: false, code: 'not_a_room_stream' };
    const body = `{"content":${JSON.stringify(`message ${message.marker.q} ${message.padding}`)},"bench":${JSON.stringify(message.marker)}}`;
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: `/api/rooms/${roomId}/messages`,
        headers: { 'content-type': 'application/json', 'x-user-id': this.author },
        body,
        signal,
      });
      const text = await response.body.text();
      if (response.statusCode !== 201) return { ok: false, code: `http_${response.statusCode}` };
      const created = JSON.parse(text) as CreatedMessage;
      const timings: Record<string, number> = { creation_duration: created.timings.creation_ms };
      if (created.timings.broadcast_ms !== undefined) timings.broadcast_duration = created.timings.broadcast_ms;
      if (created.timings.push_ms !== undefined) timings.push_enqueue_duration = created.timings.push_ms;
      const errors = created.broadcast.errors?.map((code) => `broadcast_${code}`) ?? [];
      if (created.push?.error) errors.push(`push_${created.push.error}`);
      return { ok: true, timings, ...(errors.length ? { errors } : {}) };
    } catch (error) {
      return { ok: false, code: errorCode(error) };
    }
  }

  /** `GET /health` (read-only), errors ignored: the HTTP client compiled before the first message. */
  async warmUp(): Promise<void> {
    try {
      const response = await this.pool.request({
        method: 'GET',
        path: '/health',
        signal: AbortSignal.timeout(WARM_UP_TIMEOUT_MS),
      });
      await response.body.text();
    } catch {}
  }

  async close(): Promise<void> {
    await this.pool.destroy().catch(() => {});
  }
}

function errorCode(error: unknown): string {
  const e = error as { name?: string; code?: string };
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return 'interrupted';
  if (e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (e.name === 'SyntaxError') return 'bad_response';
  return `net_${e.code ?? 'error'}`;
}

export const createTarget: CreateTarget = (context) => new ChatAppTarget(context);
