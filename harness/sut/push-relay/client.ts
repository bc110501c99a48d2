import type {
  AggregateLedger,
  DeviceListRequest,
  DeviceRegisterRequest,
  DeviceRemoveRequest,
  DeviceUpdateRequest,
  PushLedgerEntry,
  SendPushRequest,
  TopicOp,
  UserTopicListRequest,
} from '../../common/push-api.ts';
import { PushApiHttp } from '../../common/push-api-http.ts';
import type { DeviceItem } from './device-store.ts';

/** An `{error:{code,message}}` answer: 107 bad request, 104 not found, 113 conflict, 100 internal. */
export class PushApiError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
  ) {
    super(`${method}: ${message} (code ${code})`);
    this.name = 'PushApiError';
  }
}

/**
 * A typed client of the push API — the relay's, or Centrifugo PRO's (same methods, same envelopes, same
 * `X-API-Key`). Keep-alive connections; one instance per process. Errors throw PushApiError (API errors)
 * or the network error; nothing is retried here (retrying is the caller's decision, idempotent by `uid`).
 */
export class PushRelayClient {
  private readonly http: PushApiHttp;

  constructor(options: { url: string; apiKey: string; connections?: number; timeoutMs?: number }) {
    this.http = new PushApiHttp(options.url, options.apiKey, {
      connections: options.connections ?? 8,
      timeoutMs: options.timeoutMs ?? 10_000,
    });
  }

  async call<T>(method: string, body: unknown): Promise<T> {
    const reply = await this.http.post<T>(method, body);
    if (reply.ok) return reply.result;
    if (reply.status === 401) throw new PushApiError(method, 401, 'unauthorized: wrong or missing API key');
    if (reply.error) throw new PushApiError(method, reply.error.code, reply.error.message);
    throw new PushApiError(method, reply.status, `HTTP ${reply.status}: ${reply.text}`);
  }

  deviceRegister(req: DeviceRegisterRequest): Promise<{ id: string }> {
    return this.call('device_register', req);
  }

  deviceUpdate(req: DeviceUpdateRequest): Promise<Record<string, never>> {
    return this.call('device_update', req);
  }

  deviceRemove(req: DeviceRemoveRequest): Promise<Record<string, never>> {
    return this.call('device_remove', req);
  }

  deviceList(
    req: DeviceListRequest = {},
  ): Promise<{ items: DeviceItem[]; next_cursor?: string; total_count?: number }> {
    return this.call('device_list', req);
  }

  userTopicUpdate(user: string, op: TopicOp, topics: string[]): Promise<Record<string, never>> {
    return this.call('user_topic_update', { user, op, topics });
  }

  userTopicList(
    req: UserTopicListRequest = {},
  ): Promise<{ items: { id: string; user: string; topic: string }[]; next_cursor?: string; total_count?: number }> {
    return this.call('user_topic_list', req);
  }

  sendPushNotification(req: SendPushRequest): Promise<{ uid: string }> {
    return this.call('send_push_notification', req);
  }

  /** Relay extension: one push's ledger (enqueued, delivered, failed by reason, queued). */
  pushLedger(uid: string): Promise<PushLedgerEntry> {
    return this.call('push_ledger', { uid });
  }

  /** Relay extension: the aggregate ledger of a scope ("all" by default). */
  pushLedgerAggregate(scope = 'all'): Promise<AggregateLedger> {
    return this.call('push_ledger_aggregate', { scope });
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

// GrandChat's push appendix (reference centrifugo.md §7): room membership is a user topic, and every new
// message is a push to that topic. The chat app calls these three at the matching moments.

/** The push topic of a room, as GrandChat names it. */
export function chatRoomTopic(roomId: string | number): string {
  return `chat:messages:${roomId}`;
}

/** On join (after the membership row commits): the user's devices now get the room's pushes. */
export function bindUserToRoom(client: PushRelayClient, userId: string | number, roomId: string | number) {
  return client.userTopicUpdate(String(userId), 'add', [chatRoomTopic(roomId)]);
}

/** On leave: the user's devices stop getting the room's pushes. */
export function unbindUserFromRoom(client: PushRelayClient, userId: string | number, roomId: string | number) {
  return client.userTopicUpdate(String(userId), 'remove', [chatRoomTopic(roomId)]);
}

/**
 * The push GrandChat sends for a new message: FCM notification (title = room name, body = content) plus a
 * Web Push payload for browser devices, to the room's topic. `benchT` (µs, CLOCK_MONOTONIC — the message's
 * bench marker `t`) makes the sink measure push latency from the message's intended send time; `uid` makes
 * the call idempotent (e.g. `message_<id>`, like the broadcast idempotency key).
 */
export function chatMessagePush(options: {
  roomId: string | number;
  roomName: string;
  content: string;
  uid?: string;
  benchT?: number;
  link?: string;
}): SendPushRequest {
  const body = options.content.length > 1000 ? `${options.content.slice(0, 997)}...` : options.content;
  const benchT = options.benchT === undefined ? undefined : String(Math.round(options.benchT));
  return {
    recipient: { filter: { topics: [chatRoomTopic(options.roomId)] } },
    notification: {
      fcm: {
        message: {
          notification: { title: options.roomName, body },
          data: { room_id: String(options.roomId), ...(benchT && { bench_t: benchT }) },
          ...(options.link && { webpush: { fcm_options: { link: options.link } } }),
        },
      },
      webpush: {
        headers: { TTL: '3600', Urgency: 'high', ...(benchT && { 'X-Bench-T': benchT }) },
        payload: { title: options.roomName, body, room_id: String(options.roomId) },
      },
    },
    ...(options.uid && { uid: options.uid }),
  };
}
