/**
 * Centrifugo's JSON protocol framing (reference/centrifugo.md §3 "Endpoint and framing", checked against a
 * v6.9.1 server): one WebSocket text frame carries one or more JSON objects separated by `\n`, in both
 * directions, mixing replies, pushes and pings. A line is classified the way the JS SDK does it:
 * `id > 0` → reply; no `push` key → ping (the server's ping is the empty object `{}`); otherwise a push.
 */

export type Command = { id: number } & Record<string, unknown>;

/** Several commands in one frame: JSON lines joined by `\n` (commands of one connection run in order). */
export function encodeCommands(commands: readonly Command[]): string {
  let out = '';
  for (let i = 0; i < commands.length; i++) {
    if (i > 0) out += '\n';
    out += JSON.stringify(commands[i]);
  }
  return out;
}

/** The server's ping line, and the one pong a client sends for each (never otherwise: a stray `{}` → 3501). */
export const PING_LINE = '{}';
export const PONG_FRAME = '{}';

/** Calls `onLine` for each non-empty line of a frame, without allocating an array for the common 1-line frame. */
export function forEachLine(frame: string, onLine: (line: string) => void): void {
  let start = 0;
  const length = frame.length;
  while (start < length) {
    let end = frame.indexOf('\n', start);
    if (end === -1) end = length;
    // Trim a trailing \r or spaces cheaply: only call trim when the line is not already tight.
    let line = frame.slice(start, end);
    if (line.length && (line.charCodeAt(line.length - 1) <= 32 || line.charCodeAt(0) <= 32)) line = line.trim();
    if (line.length) onLine(line);
    start = end + 1;
  }
}

export interface ReplyError {
  code: number;
  message: string;
  temporary?: boolean;
}

export interface Publication {
  data?: unknown;
  offset?: number;
  epoch?: string;
}

/** A decoded line: what the subscriber client acts on. */
export type Line =
  | { kind: 'ping' }
  | { kind: 'reply'; id: number; error?: ReplyError; result: Record<string, unknown> | undefined; method: string }
  | { kind: 'push'; channel: string; type: string; body: Record<string, unknown> };

const REPLY_METHODS = ['connect', 'subscribe', 'unsubscribe', 'refresh', 'sub_refresh', 'publish', 'history'];

/** Parses one line. Pings are recognised without JSON.parse. */
export function decodeLine(line: string): Line {
  if (line === PING_LINE) return { kind: 'ping' };
  const msg = JSON.parse(line) as Record<string, unknown>;
  const id = msg.id;
  if (typeof id === 'number' && id > 0) {
    if (msg.error) return { kind: 'reply', id, error: msg.error as ReplyError, result: undefined, method: 'error' };
    for (const method of REPLY_METHODS) {
      const result = msg[method];
      if (result !== undefined) return { kind: 'reply', id, result: result as Record<string, unknown>, method };
    }
    return { kind: 'reply', id, result: {}, method: 'unknown' };
  }
  const push = msg.push as Record<string, unknown> | undefined;
  if (!push) return { kind: 'ping' };
  const channel = (push.channel as string | undefined) ?? '';
  for (const key in push) {
    if (key === 'channel' || key === 'id') continue;
    return { kind: 'push', channel, type: key, body: push[key] as Record<string, unknown> };
  }
  return { kind: 'push', channel, type: 'unknown', body: {} };
}
