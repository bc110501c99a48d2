/**
 * Centrifugo's Protobuf protocol, as much of it as a subscriber needs (reference/centrifugo.md §3: endpoint
 * `/connection/websocket?format=protobuf`, binary frames). Field numbers are those of centrifugal/protocol's
 * `client.proto`, as centrifuge-js 5.8's generated code writes them (build/protobuf):
 *
 *   Command      id=1 connect=4 subscribe=5          ConnectRequest   token=1 name=4
 *   SubscribeRequest channel=1 token=2 recover=3 epoch=6 offset=7
 *   Reply        id=1 error=2 push=4 connect=5 subscribe=6
 *   Error        code=1 message=2 temporary=3         ConnectResult    ping=7 pong=8
 *   SubscribeResult epoch=6 publications=7 recovered=8 offset=9 was_recovering=12
 *   Push         channel=2 pub=4 unsubscribe=7        Unsubscribe      code=2
 *   Publication  data=4 offset=6
 *
 * Framing: a frame holds one or more messages, each prefixed with its length as a varint (both directions).
 * The server's ping is an empty Reply (length 0), the client's pong an empty Command (one byte: 0x00).
 * Every field not listed is skipped by its wire type, so a newer server's additions do not break the client.
 *
 * Hot path: `readField` walks a message without allocating (one reused cursor); the subscriber reads
 * Reply → Push → Publication with it (subscriber-connection.ts). Cold path (connect/subscribe replies,
 * errors): small decoders returning the same shapes the JSON protocol's objects have, so the connection
 * handles both protocols' replies with one code path.
 */
import type { Command, Publication, ReplyError } from './frame-codec.ts';

export const WIRE_VARINT = 0;
export const WIRE_BYTES = 2;

/** Where `readField` found a field; one object reused (read it before the next call). */
export interface FieldCursor {
  number: number;
  wireType: number;
  /** Varint fields: the value (exact below 2^53). */
  value: number;
  /** Length-delimited fields: the bytes are data[start, end). */
  start: number;
  end: number;
  /** Where the next field starts. */
  next: number;
}

export function newFieldCursor(): FieldCursor {
  return { number: 0, wireType: 0, value: 0, start: 0, end: 0, next: 0 };
}

/** The client's pong: one empty Command, length-prefixed (the JS SDK sends `[{}]`). */
export const PROTOBUF_PONG = Buffer.from([0]);

/** Where the last `readVarint` stopped (module state instead of a tuple: no allocation per field). */
export let varintEnd = 0;

/** The varint at data[at…end): its value, or -1 when it is truncated or longer than 10 bytes. */
export function readVarint(data: Buffer, at: number, end: number): number {
  let byte = at < end ? data[at]! : 0x80;
  // One byte: lengths under 128 and small ids, the common case.
  if (byte < 0x80 && at < end) {
    varintEnd = at + 1;
    return byte;
  }
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (at + i >= end) return -1;
    byte = data[at + i]!;
    // Multiplication, not shifts: bitwise operators are 32-bit in JavaScript.
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      varintEnd = at + i + 1;
      return value;
    }
    scale *= 128;
  }
  return -1;
}

/**
 * Reads the field at data[at…end) into `field`; false when the bytes are not a valid field (truncated,
 * field number 0, a group or unknown wire type, a length past the message's end).
 */
export function readField(data: Buffer, at: number, end: number, field: FieldCursor): boolean {
  const key = readVarint(data, at, end);
  if (key < 8) return false;
  const wireType = key & 7;
  field.number = Math.floor(key / 8);
  field.wireType = wireType;
  at = varintEnd;
  switch (wireType) {
    case WIRE_VARINT: {
      const value = readVarint(data, at, end);
      if (value < 0) return false;
      field.value = value;
      field.next = varintEnd;
      return true;
    }
    case WIRE_BYTES: {
      const length = readVarint(data, at, end);
      if (length < 0 || varintEnd + length > end) return false;
      field.start = varintEnd;
      field.end = varintEnd + length;
      field.next = field.end;
      return true;
    }
    case 1: // fixed64
      field.next = at + 8;
      return field.next <= end;
    case 5: // fixed32
      field.next = at + 4;
      return field.next <= end;
    default: // 3, 4 (groups: not in this protocol), 6, 7 (undefined)
      return false;
  }
}

/** Thrown by the cold-path decoders below on bytes that are not a valid message. */
export class ProtobufFormatError extends Error {}

const coldField = newFieldCursor();

function walk(data: Buffer, start: number, end: number, onField: (field: FieldCursor) => void): void {
  let at = start;
  while (at < end) {
    if (!readField(data, at, end, coldField)) throw new ProtobufFormatError('malformed protobuf message');
    at = coldField.next;
    onField(coldField);
  }
}

/** An Error message → the JSON protocol's `{code, message, temporary}`. */
export function decodeError(data: Buffer, start: number, end: number): ReplyError {
  const error: ReplyError = { code: 0, message: '' };
  walk(data, start, end, (f) => {
    if (f.number === 1 && f.wireType === WIRE_VARINT) error.code = f.value;
    else if (f.number === 2 && f.wireType === WIRE_BYTES) error.message = data.toString('utf8', f.start, f.end);
    else if (f.number === 3 && f.wireType === WIRE_VARINT) error.temporary = f.value !== 0;
  });
  return error;
}

/** A ConnectResult → the fields the connection reads: `{ping, pong}` (false/zero fields omitted, as in JSON). */
export function decodeConnectResult(data: Buffer, start: number, end: number): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  walk(data, start, end, (f) => {
    if (f.number === 7 && f.wireType === WIRE_VARINT) result.ping = f.value;
    else if (f.number === 8 && f.wireType === WIRE_VARINT) result.pong = f.value !== 0;
  });
  return result;
}

/**
 * A SubscribeResult → `{epoch, offset, recovered, was_recovering, publications}` as the JSON protocol has
 * them; each publication's data is its JSON decoded (the engine's payloads are JSON).
 */
export function decodeSubscribeResult(data: Buffer, start: number, end: number): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  /** The replayed publications' byte ranges, [start, end, start, end, …]. */
  const publicationRanges: number[] = [];
  walk(data, start, end, (f) => {
    if (f.number === 6 && f.wireType === WIRE_BYTES) result.epoch = data.toString('utf8', f.start, f.end);
    else if (f.number === 7 && f.wireType === WIRE_BYTES) publicationRanges.push(f.start, f.end);
    else if (f.number === 8 && f.wireType === WIRE_VARINT) result.recovered = f.value !== 0;
    else if (f.number === 9 && f.wireType === WIRE_VARINT) result.offset = f.value;
    else if (f.number === 12 && f.wireType === WIRE_VARINT) result.was_recovering = f.value !== 0;
  });
  // Nested messages after the walk: the walker's cursor is shared.
  if (publicationRanges.length > 0) {
    const publications: Publication[] = [];
    for (let i = 0; i < publicationRanges.length; i += 2) {
      publications.push(decodePublication(data, publicationRanges[i]!, publicationRanges[i + 1]!));
    }
    result.publications = publications;
  }
  return result;
}

/** A Publication → `{data, offset}`; data is the payload's JSON decoded, or its bytes when it is not JSON. */
export function decodePublication(data: Buffer, start: number, end: number): Publication {
  const pub: Publication = {};
  let dataStart = -1;
  let dataEnd = -1;
  walk(data, start, end, (f) => {
    if (f.number === 4 && f.wireType === WIRE_BYTES) {
      dataStart = f.start;
      dataEnd = f.end;
    } else if (f.number === 6 && f.wireType === WIRE_VARINT) pub.offset = f.value;
  });
  if (dataStart >= 0) pub.data = decodeJsonData(data, dataStart, dataEnd);
  return pub;
}

/** Publication data as JSON (what the engine's publishers send), or a copy of the bytes when it is not JSON. */
export function decodeJsonData(data: Buffer, start: number, end: number): unknown {
  const text = data.toString('utf8', start, end);
  try {
    return JSON.parse(text);
  } catch {
    return Buffer.from(data.subarray(start, end));
  }
}

// ── Writing messages: client commands here (cold path), server replies in protobuf-replies.ts (tests, benches). ──

export function writeVarint(out: number[], value: number): void {
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
}

export function writeKey(out: number[], fieldNumber: number, wireType: number): void {
  writeVarint(out, fieldNumber * 8 + wireType);
}

export function writeBytesField(out: number[], fieldNumber: number, bytes: ArrayLike<number>): void {
  writeKey(out, fieldNumber, WIRE_BYTES);
  writeVarint(out, bytes.length);
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i]!);
}

export function writeStringField(out: number[], fieldNumber: number, value: unknown): void {
  if (typeof value === 'string' && value.length > 0) writeBytesField(out, fieldNumber, Buffer.from(value));
}

export function writeVarintField(out: number[], fieldNumber: number, value: unknown): void {
  const n = typeof value === 'boolean' ? Number(value) : value;
  if (typeof n === 'number' && n > 0) {
    writeKey(out, fieldNumber, WIRE_VARINT);
    writeVarint(out, n);
  }
}

function encodeCommand(command: Command): number[] {
  const out: number[] = [];
  writeVarintField(out, 1, command.id);
  const connect = command.connect as Record<string, unknown> | undefined;
  if (connect) {
    const body: number[] = [];
    writeStringField(body, 1, connect.token);
    writeStringField(body, 4, connect.name);
    writeBytesField(out, 4, body);
  }
  const subscribe = command.subscribe as Record<string, unknown> | undefined;
  if (subscribe) {
    const body: number[] = [];
    writeStringField(body, 1, subscribe.channel);
    writeStringField(body, 2, subscribe.token);
    writeVarintField(body, 3, subscribe.recover);
    writeStringField(body, 6, subscribe.epoch);
    writeVarintField(body, 7, subscribe.offset);
    writeBytesField(out, 5, body);
  }
  return out;
}

/**
 * Several commands in one binary frame, each length-prefixed — the same `Command` objects the JSON
 * protocol sends (`{id, connect: {token, name}}`, `{id, subscribe: {channel, token, recover, epoch, offset}}`).
 */
export function encodeProtobufCommands(commands: readonly Command[]): Buffer {
  const out: number[] = [];
  for (const command of commands) {
    const body = encodeCommand(command);
    writeVarint(out, body.length);
    for (const byte of body) out.push(byte);
  }
  return Buffer.from(out);
}
