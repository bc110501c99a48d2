/**
 * The server side of a WebSocket upgrade, for tests and benches whose fake servers write exact bytes
 * (RFC 6455 §4.2.2): the 101 response to a client's request head, with its Sec-WebSocket-Accept.
 */
import { createHash } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The 101 Switching Protocols response to `requestHead` (the request's bytes up to the blank line). */
export function upgradeResponse(requestHead: string): string {
  const key = /sec-websocket-key:\s*(\S+)/i.exec(requestHead)?.[1];
  if (!key) throw new Error('not a WebSocket upgrade request: no Sec-WebSocket-Key');
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
}
