import {
  bindUserToRoom,
  chatMessagePush,
  PushApiError,
  PushRelayClient,
  unbindUserFromRoom,
} from '../push-relay/index.ts';
import type { ChatAppConfig } from './config.ts';

/** What the push part did for one request: its call time, or why it failed. */
export interface PushReport {
  ok: boolean;
  durationMs: number;
  error?: string;
}

/** A room event that has a push side (GrandChat's push appendix, reference/centrifugo.md §7). */
export type PushEvent =
  | { kind: 'message'; roomId: number; roomName: string; messageId: number; content: string; benchT?: number }
  | { kind: 'join' | 'leave'; roomId: number; userId: number };

/**
 * GrandChat sends pushes only in its cdc modes, as CDC rows a Centrifugo PRO consumer executes; OSS consumers
 * skip push methods (reference/centrifugo.md §1.6), so here the app calls the push API after commit instead:
 * `send_push_notification` to `chat:messages:<room>` (idempotent by `uid: message_<id>`), and the user's
 * room topic added / removed on join / leave — through the relay's client (harness/sut/push-relay/client.ts).
 */
export class PushSide {
  private readonly client: PushRelayClient;

  constructor(settings: NonNullable<ChatAppConfig['push']>) {
    this.client = new PushRelayClient({ url: settings.relayUrl, apiKey: settings.apiKey, connections: 16 });
  }

  async send(event: PushEvent): Promise<PushReport> {
    const started = performance.now();
    try {
      if (event.kind === 'message') {
        await this.client.sendPushNotification(
          chatMessagePush({
            roomId: event.roomId,
            roomName: event.roomName,
            content: event.content,
            uid: `message_${event.messageId}`,
            benchT: event.benchT,
          }),
        );
      } else if (event.kind === 'join') {
        await bindUserToRoom(this.client, event.userId, event.roomId);
      } else {
        await unbindUserFromRoom(this.client, event.userId, event.roomId);
      }
      return { ok: true, durationMs: performance.now() - started };
    } catch (error) {
      const code =
        error instanceof PushApiError ? `api_${error.code}` : `net_${(error as { code?: string }).code ?? 'error'}`;
      return { ok: false, durationMs: performance.now() - started, error: code };
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
