import type pg from 'pg';
import type { ChatAppConfig } from './config.ts';
import type { AfterCommitReport, Delivery } from './delivery.ts';
import type { PushEvent, PushReport, PushSide } from './push.ts';
import { type BroadcastCall, splitBroadcast } from './split-broadcast.ts';

export interface AppUser {
  id: number;
  username: string;
}

/** The bench marker the harness puts in a request; copied unchanged into the publication data. */
export type BenchMarker = Record<string, unknown>;

export interface WriteResult<T> {
  body: T;
  /** Request start → commit, ms. */
  creationMs: number;
  broadcast: AfterCommitReport;
  /** Present when the app has a push side and the write has a push event. */
  push?: PushReport;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface RoomRow {
  id: string;
  name: string;
  version: string;
  bumped_at: Date;
}

/**
 * GrandChat's write views (reference/centrifugo.md §7, GC:backend/chat/views.py): each one is a transaction
 * that locks the room (`SELECT … FOR UPDATE`: writes to one room serialise), bumps its version (clients
 * drop events with a version they already have), loads the member ids — on every request, as GrandChat
 * does — and broadcasts to `personal:<id>` of every member: outbox rows inside the transaction, API calls
 * and stream entries after the commit, by mode.
 */
export class RoomService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly delivery: Delivery,
    private readonly config: Pick<ChatAppConfig, 'channelsPerCall' | 'outbox'>,
    private readonly push?: PushSide,
  ) {}

  async user(id: number): Promise<AppUser | undefined> {
    const result = await this.pool.query<{ id: string; username: string }>(
      'SELECT id, username FROM chat_user WHERE id = $1',
      [id],
    );
    const row = result.rows[0];
    return row && { id: Number(row.id), username: row.username };
  }

  async createMessage(
    startedAt: number,
    user: AppUser,
    roomId: number,
    content: string,
    bench: BenchMarker | undefined,
  ): Promise<WriteResult<{ id: number; room: { id: number; version: number } }>> {
    return this.write(startedAt, roomId, async (client, room) => {
      const members = await this.memberIds(client, roomId);
      const message = await client.query<{ id: string; created_at: Date }>(
        'INSERT INTO chat_message (room_id, user_id, content) VALUES ($1, $2, $3) RETURNING id, created_at',
        [roomId, user.id, content],
      );
      const id = Number(message.rows[0]!.id);
      const bumped = await client.query<{ version: string; bumped_at: Date }>(
        `UPDATE chat_room SET version = version + 1, bumped_at = clock_timestamp(), last_message_id = $2
         WHERE id = $1 RETURNING version, bumped_at`,
        [roomId, id],
      );
      const version = Number(bumped.rows[0]!.version);
      const body = {
        id,
        content,
        user: { id: user.id, username: user.username },
        room: { id: Number(room.id), version, bumped_at: bumped.rows[0]!.bumped_at },
        created_at: message.rows[0]!.created_at,
      };
      const calls = this.calls(members, roomId, `message_${id}`, { type: 'message_added', body }, bench);
      const benchT = typeof bench?.t === 'number' ? bench.t : undefined;
      const push: PushEvent = { kind: 'message', roomId, roomName: room.name, messageId: id, content, benchT };
      return { calls, body: { id, room: { id: roomId, version } }, push };
    });
  }

  /** POST /join: 409 when already a member (nothing changes then). Members now include the joiner. */
  async join(startedAt: number, user: AppUser, roomId: number, bench: BenchMarker | undefined) {
    return this.write(startedAt, roomId, async (client, room) => {
      const version = await this.bumpVersion(client, roomId);
      const inserted = await client.query<{ id: string }>(
        `INSERT INTO chat_roommember (room_id, user_id) VALUES ($1, $2)
         ON CONFLICT (room_id, user_id) DO NOTHING RETURNING id`,
        [roomId, user.id],
      );
      if (inserted.rowCount === 0) throw new HttpError(409, 'already a member');
      const members = await this.memberIds(client, roomId);
      const body = this.memberBody(room, version, members.length, user);
      const calls = this.calls(
        members,
        roomId,
        `user_joined_${inserted.rows[0]!.id}`,
        { type: 'user_joined', body },
        bench,
      );
      return { calls, body, push: { kind: 'join', roomId, userId: user.id } as PushEvent };
    });
  }

  /** POST /leave: 404 when not a member. Members are loaded before the delete: the leaver hears it too. */
  async leave(startedAt: number, user: AppUser, roomId: number, bench: BenchMarker | undefined) {
    return this.write(startedAt, roomId, async (client, room) => {
      const version = await this.bumpVersion(client, roomId);
      const members = await this.memberIds(client, roomId);
      const deleted = await client.query<{ id: string }>(
        'DELETE FROM chat_roommember WHERE room_id = $1 AND user_id = $2 RETURNING id',
        [roomId, user.id],
      );
      if (deleted.rowCount === 0) throw new HttpError(404, 'not a member');
      const body = this.memberBody(room, version, members.length - 1, user);
      const calls = this.calls(members, roomId, `user_left_${deleted.rows[0]!.id}`, { type: 'user_left', body }, bench);
      return { calls, body, push: { kind: 'leave', roomId, userId: user.id } as PushEvent };
    });
  }

  private memberBody(room: RoomRow, version: number, memberCount: number, user: AppUser) {
    return {
      room: { id: Number(room.id), name: room.name, version, bumped_at: room.bumped_at, member_count: memberCount },
      user: { id: user.id, username: user.username },
    };
  }

  private async bumpVersion(client: pg.PoolClient, roomId: number): Promise<number> {
    const result = await client.query<{ version: string }>(
      'UPDATE chat_room SET version = version + 1 WHERE id = $1 RETURNING version',
      [roomId],
    );
    return Number(result.rows[0]!.version);
  }

  private async memberIds(client: pg.PoolClient, roomId: number): Promise<string[]> {
    // Array rows: a 100k-member room is 100k rows, and objects per row would cost more than the query.
    const result = await client.query<[string]>({
      text: 'SELECT user_id FROM chat_roommember WHERE room_id = $1',
      values: [roomId],
      rowMode: 'array',
    });
    return result.rows.map((row) => row[0]);
  }

  private calls(
    memberIds: string[],
    roomId: number,
    idempotencyKey: string,
    data: { type: string; body: unknown },
    bench: BenchMarker | undefined,
  ): BroadcastCall[] {
    const dataJson = JSON.stringify(bench === undefined ? data : { ...data, bench });
    return splitBroadcast(
      { channels: memberIds.map((id) => `personal:${id}`), dataJson, idempotencyKey, roomId },
      {
        channelsPerCall: this.config.channelsPerCall,
        partitions: this.config.outbox.partitions,
        maxBodyBytes: this.delivery.maxCallBytes,
      },
    );
  }

  /** The shared shape: lock the room, run `body`, write outbox rows, commit, then broadcast after commit. */
  private async write<T>(
    startedAt: number,
    roomId: number,
    body: (client: pg.PoolClient, room: RoomRow) => Promise<{ calls: BroadcastCall[]; body: T; push?: PushEvent }>,
  ): Promise<WriteResult<T>> {
    const client = await this.pool.connect();
    let outcome: { calls: BroadcastCall[]; body: T; push?: PushEvent };
    try {
      await client.query('BEGIN');
      const locked = await client.query<RoomRow>(
        'SELECT id, name, version, bumped_at FROM chat_room WHERE id = $1 FOR UPDATE',
        [roomId],
      );
      const room = locked.rows[0];
      if (!room) throw new HttpError(404, `room ${roomId} not found`);
      outcome = await body(client, room);
      await this.delivery.inTransaction(client, outcome.calls);
      await client.query('COMMIT');
    } catch (error) {
      // A connection that cannot even roll back is broken: destroy it instead of returning it to the pool.
      const broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      client.release(broken);
      throw error;
    }
    client.release();
    const creationMs = performance.now() - startedAt;
    // The push call runs beside the broadcast: it must not delay the real-time path.
    const [broadcast, push] = await Promise.all([
      this.delivery.afterCommit(outcome.calls),
      this.push && outcome.push ? this.push.send(outcome.push) : undefined,
    ]);
    return { body: outcome.body, creationMs, broadcast, ...(push ? { push } : {}) };
  }
}
