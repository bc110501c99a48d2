/**
 * The server's side of the Protobuf protocol, for tests and the socket-path benchmark: Replies encoded
 * the way Centrifugo writes them (field numbers in protobuf-codec.ts; zero/false/empty fields omitted, as
 * proto3 does), length-prefixed and batched into one binary frame. Never used against a real server:
 * `protobuf.integration.test.ts` checks the client against Centrifugo itself.
 */
import {
  WIRE_VARINT,
  writeBytesField,
  writeKey,
  writeStringField,
  writeVarint,
  writeVarintField,
} from './protobuf-codec.ts';

export interface PublicationMessage {
  /** The payload: an object is written as its JSON (what the HTTP API's `data` becomes), bytes as is. */
  data?: unknown;
  offset?: number;
  tags?: Record<string, string>;
  /** int64 milliseconds (Centrifugo sets it when asked to); negative values take 10 bytes. */
  time?: number;
}

export interface ReplyMessage {
  id?: number;
  error?: { code: number; message: string; temporary?: boolean };
  connect?: { client?: string; version?: string; ping?: number; pong?: boolean };
  subscribe?: {
    epoch?: string;
    offset?: number;
    recoverable?: boolean;
    recovered?: boolean;
    was_recovering?: boolean;
    publications?: PublicationMessage[];
  };
  push?: { channel: string; pub?: PublicationMessage; unsubscribe?: { code: number; reason?: string } };
}

function dataBytes(data: unknown): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(JSON.stringify(data));
}

export function encodePublication(pub: PublicationMessage): number[] {
  const out: number[] = [];
  if (pub.data !== undefined) writeBytesField(out, 4, dataBytes(pub.data));
  writeVarintField(out, 6, pub.offset);
  for (const [key, value] of Object.entries(pub.tags ?? {})) {
    const entry: number[] = [];
    writeStringField(entry, 1, key);
    writeStringField(entry, 2, value);
    writeBytesField(out, 7, entry);
  }
  if (pub.time !== undefined && pub.time !== 0) {
    writeKey(out, 9, WIRE_VARINT);
    // int64: a negative value is its two's complement over 64 bits, ten bytes.
    if (pub.time > 0) writeVarint(out, pub.time);
    else out.push(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
  }
  return out;
}

export function encodeReply(reply: ReplyMessage): number[] {
  const out: number[] = [];
  writeVarintField(out, 1, reply.id);
  if (reply.error) {
    const body: number[] = [];
    writeVarintField(body, 1, reply.error.code);
    writeStringField(body, 2, reply.error.message);
    writeVarintField(body, 3, reply.error.temporary);
    writeBytesField(out, 2, body);
  }
  if (reply.push) {
    const body: number[] = [];
    writeStringField(body, 2, reply.push.channel);
    if (reply.push.pub) writeBytesField(body, 4, encodePublication(reply.push.pub));
    if (reply.push.unsubscribe) {
      const unsubscribe: number[] = [];
      writeVarintField(unsubscribe, 2, reply.push.unsubscribe.code);
      writeStringField(unsubscribe, 3, reply.push.unsubscribe.reason);
      writeBytesField(body, 7, unsubscribe);
    }
    writeBytesField(out, 4, body);
  }
  if (reply.connect) {
    const body: number[] = [];
    writeStringField(body, 1, reply.connect.client);
    writeStringField(body, 2, reply.connect.version);
    writeVarintField(body, 7, reply.connect.ping);
    writeVarintField(body, 8, reply.connect.pong);
    writeBytesField(out, 5, body);
  }
  if (reply.subscribe) {
    const s = reply.subscribe;
    const body: number[] = [];
    writeVarintField(body, 3, s.recoverable);
    writeStringField(body, 6, s.epoch);
    for (const pub of s.publications ?? []) writeBytesField(body, 7, encodePublication(pub));
    writeVarintField(body, 8, s.recovered);
    writeVarintField(body, 9, s.offset);
    writeVarintField(body, 12, s.was_recovering);
    writeBytesField(out, 6, body);
  }
  return out;
}

/** One frame's payload: each reply length-prefixed; `{}` is the server's ping (an empty Reply). */
export function encodeReplies(replies: readonly ReplyMessage[]): Buffer {
  const out: number[] = [];
  for (const reply of replies) {
    const body = encodeReply(reply);
    writeVarint(out, body.length);
    for (const byte of body) out.push(byte);
  }
  return Buffer.from(out);
}

function varintBytes(value: number): Buffer {
  const out: number[] = [];
  writeVarint(out, value);
  return Buffer.from(out);
}

/** A Push's channel field (field 2), encoded once per connection for `publicationPushMessage`. */
export function channelField(channel: string): Buffer {
  const bytes = Buffer.from(channel);
  return Buffer.concat([Buffer.from([0x12]), varintBytes(bytes.length), bytes]);
}

/**
 * One length-prefixed Reply carrying a publication push — the same bytes as `encodeReplies([{ push: {
 * channel, pub } }])` — from a publication encoded once (`encodePublication`) and a connection's
 * `channelField`: a fake server fanning one publication out to thousands of sockets at the pace of a
 * JSON template string, so a benchmark's clients see the same arrival pattern in both protocols.
 */
export function publicationPushMessage(channel: Buffer, publication: Buffer): Buffer {
  const pubHead = Buffer.concat([Buffer.from([0x22]), varintBytes(publication.length)]);
  const pushLength = channel.length + pubHead.length + publication.length;
  const replyHead = Buffer.concat([Buffer.from([0x22]), varintBytes(pushLength)]);
  const replyLength = replyHead.length + pushLength;
  return Buffer.concat([varintBytes(replyLength), replyHead, channel, pubHead, publication]);
}
