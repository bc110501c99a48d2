/** One Centrifugo `broadcast` command: an API call, an outbox row or a stream entry. */
export interface BroadcastCall {
  channels: string[];
  idempotencyKey: string;
  /** Outbox partition of this call. */
  partition: number;
  /**
   * The cdc row's `partition` (GrandChat: the room id), which Debezium makes the Kafka record's key: call i of
   * every message of a room has the same key, so Kafka keeps those calls in order, like the outbox partitions.
   */
  cdcKey: number;
  /** The API request as JSON: `{"channels":[…],"data":…,"idempotency_key":"…"}` — also the row/entry payload. */
  body: string;
}

export interface BroadcastRequest {
  channels: string[];
  /** The publication data, as JSON (built once, shared by every call). */
  dataJson: string;
  /** GrandChat's key: `message_<id>`, `user_joined_<pk>`, `user_left_<pk>`. */
  idempotencyKey: string;
  roomId: number;
}

/**
 * Splits a broadcast into calls of at most `channelsPerCall` channels (GrandChat's tuned 100k room: batches
 * of 1,000). A single call keeps the key as is; call i of several gets the suffix `:<i>`. Partitions follow
 * GrandChat (`hash(room_id) % partitions`, Python's hash of an int being the int) and spread the calls of
 * one message over consecutive partitions: call i of every message of a room lands in the same partition,
 * so each member's events stay in order while the calls of a large room run in parallel. No channels, no call.
 * `maxBodyBytes` caps each call's JSON size as well (a transport's message limit).
 */
export function splitBroadcast(
  request: BroadcastRequest,
  options: { channelsPerCall?: number; partitions: number; maxBodyBytes?: number },
): BroadcastCall[] {
  if (request.channels.length === 0) return [];
  let size = Math.min(options.channelsPerCall ?? request.channels.length, request.channels.length);
  if (options.maxBodyBytes) {
    // A transport with a message size limit (NATS: 1 MiB by default) gets as many channels as fit.
    let longest = 0;
    for (const channel of request.channels) longest = Math.max(longest, Buffer.byteLength(channel));
    const overhead = Buffer.byteLength(request.dataJson) + request.idempotencyKey.length + 64;
    size = Math.min(size, Math.max(1, Math.floor((options.maxBodyBytes - overhead) / (longest + 3))));
  }
  const count = Math.max(1, Math.ceil(request.channels.length / Math.max(1, size)));
  const calls: BroadcastCall[] = [];
  for (let i = 0; i < count; i++) {
    const channels = count === 1 ? request.channels : request.channels.slice(i * size, (i + 1) * size);
    const idempotencyKey = count === 1 ? request.idempotencyKey : `${request.idempotencyKey}:${i}`;
    calls.push({
      channels,
      idempotencyKey,
      partition: (request.roomId + i) % options.partitions,
      cdcKey: request.roomId + i,
      body: `{"channels":${JSON.stringify(channels)},"data":${request.dataJson},"idempotency_key":${JSON.stringify(idempotencyKey)}}`,
    });
  }
  return calls;
}
