/**
 * The subscriber hot path's shortcut: the bench marker and the offset of a plain publication push, read
 * straight from the frame's bytes — no string, no `JSON.parse`, no object. A line qualifies only when it
 * has exactly the shape Centrifugo gives a publication of the engine's own payload:
 *
 *   {"push":{"channel":"<this connection's channel>","pub":{"data":{"bench":{"s":"<stream>","q":<int>,"t":<int>}…},"offset":<int>}}}
 *
 * The head is compared byte for byte (channel included), the marker's three fields are at fixed places
 * (data's first key is `bench`, the publisher writes `{"s","q","t"}` in that order), and the line must end
 * in `},"offset":<int>}}}` — pub, push and the line closing right after the offset, the data object right
 * before it. Anything else — another channel, a reply, a stream id with an escape, a marker in another
 * order (the chat app's payloads), a publication with more fields after `offset` (tags, time, delta), a
 * number with a sign, fraction or exponent — is declined, and the caller takes the `JSON.parse` path,
 * which handles every line. Measured: `frame.bench.ts`.
 */

/** What `scanPublication` found; one object reused for every line (read it before the next scan). */
export interface ScannedPublication {
  /** The stream id's bytes (JSON-escaped form, no quotes): data[streamStart, streamEnd). */
  streamStart: number;
  streamEnd: number;
  q: number;
  t: number;
  offset: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE_BRACE = 0x7d;
const MARKER_Q = Buffer.from('","q":');
const MARKER_T = Buffer.from(',"t":');
const OFFSET_KEY = Buffer.from('},"offset":');
/** At most 15 digits (< 2^53: the value is exact, as JSON.parse reads it); longer runs are declined. */
const MAX_DIGITS = 15;

/** How the engine's publication data starts: the marker is its first key, `s` the marker's first field. */
const DATA_HEAD = '{"bench":{"s":"';
const DATA_HEAD_BYTES = Buffer.from(DATA_HEAD);

/** The bytes every qualifying publication line on `channel` starts with. */
export function publicationHead(channel: string): Buffer {
  return Buffer.from(`{"push":{"channel":${JSON.stringify(channel)},"pub":{"data":${DATA_HEAD}`);
}

/**
 * The Protobuf protocol's form (protobuf-replies.ts): the publication's data bytes alone, data[start, end) —
 * the same JSON the publisher sent. Reads the marker into `out` (not `offset`: Protobuf carries it apart)
 * when the data starts with exactly `{"bench":{"s":"<stream>","q":<int>,"t":<int>}` and ends with `}`;
 * false otherwise (then decode it with `JSON.parse`).
 */
export function scanDataMarker(data: Buffer, start: number, end: number, out: ScannedPublication): boolean {
  const headLength = DATA_HEAD_BYTES.length;
  if (end - start < headLength + 12 || data[end - 1] !== CLOSE_BRACE) return false;
  for (let i = 0; i < headLength; i++) if (data[start + i] !== DATA_HEAD_BYTES[i]) return false;
  const markerEnd = readMarker(data, start + headLength, end, out);
  // The marker's `}` closes the marker, not the data: the data's own `}` comes after it.
  return markerEnd >= 0 && markerEnd < end - 1;
}

/**
 * Reads the marker and offset of the publication line data[start, end) into `out`; false when the line is
 * not of the exact shape above (then nothing about it is known: use the general path).
 */
export function scanPublication(
  data: Buffer,
  start: number,
  end: number,
  head: Buffer,
  out: ScannedPublication,
): boolean {
  const headLength = head.length;
  if (end - start < headLength + 24) return false;
  for (let i = 0; i < headLength; i++) if (data[start + i] !== head[i]) return false;
  const at = readMarker(data, start + headLength, end, out);
  if (at < 0) return false;
  // The tail, from the end: }}} closing pub, push and the line, the offset's digits, then `},"offset":`.
  if (data[end - 1] !== CLOSE_BRACE || data[end - 2] !== CLOSE_BRACE || data[end - 3] !== CLOSE_BRACE) return false;
  let digitsStart = end - 3;
  while (digitsStart > at && isDigit(data[digitsStart - 1]!)) digitsStart--;
  const keyStart = digitsStart - OFFSET_KEY.length;
  if (digitsStart === end - 3 || keyStart <= at || !matches(data, keyStart, end, OFFSET_KEY)) return false;
  const offset = readDigits(data, digitsStart, end - 3);
  if (offset < 0 || digitsEnd !== end - 3) return false;
  out.offset = offset;
  return true;
}

/**
 * The marker's fields from data[at…) (just after `"s":"`): `<stream>","q":<int>,"t":<int>}`. Fills `out`'s
 * stream, q and t and returns where the marker's `}` is; -1 when the bytes are not of that shape.
 */
function readMarker(data: Buffer, at: number, end: number, out: ScannedPublication): number {
  const streamStart = at;
  for (;;) {
    if (at >= end) return -1;
    const byte = data[at]!;
    if (byte === QUOTE) break;
    if (byte === BACKSLASH) return -1;
    at++;
  }
  const streamEnd = at;
  if (!matches(data, at, end, MARKER_Q)) return -1;
  at += MARKER_Q.length;
  const q = readDigits(data, at, end);
  if (q < 0) return -1;
  at = digitsEnd;
  if (!matches(data, at, end, MARKER_T)) return -1;
  at += MARKER_T.length;
  const t = readDigits(data, at, end);
  if (t < 0) return -1;
  at = digitsEnd;
  if (data[at] !== CLOSE_BRACE) return -1;
  out.streamStart = streamStart;
  out.streamEnd = streamEnd;
  out.q = q;
  out.t = t;
  return at;
}

function matches(data: Buffer, at: number, end: number, bytes: Buffer): boolean {
  if (end - at < bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (data[at + i] !== bytes[i]) return false;
  return true;
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

/** Where the last `readDigits` stopped (module state instead of a tuple: no allocation per field). */
let digitsEnd = 0;

/** A non-negative JSON integer at data[at…): its value, or -1 (no digits, a leading zero, too long). */
function readDigits(data: Buffer, at: number, end: number): number {
  let value = 0;
  let i = at;
  while (i < end && isDigit(data[i]!)) {
    value = value * 10 + (data[i]! - 0x30);
    i++;
  }
  const digits = i - at;
  if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && data[at] === 0x30)) return -1;
  digitsEnd = i;
  return value;
}
