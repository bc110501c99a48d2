/**
 * A minimal RFC 6455 client for the subscriber hot path: the HTTP upgrade written by hand over a plain
 * `net.Socket`, then server frames parsed straight out of the socket's reads. Reads use `onread` with ONE
 * buffer shared by every socket of the process (a read is consumed synchronously in its callback, so no
 * socket ever needs the buffer after its callback returns): no allocation per read, no stream machinery,
 * no per-frame objects. Only a frame split across reads keeps its bytes (copied once) until the rest arrives.
 * Once upgraded, a socket's reads move to the native socket reader when the worker has it on
 * (socket-reader/reader.ts: every ready socket of a wakeup read in C, one call here per read as before);
 * with `answerPingsNatively`, a read that is exactly one server ping is answered there and never arrives here.
 *
 * The surface is the subset of `ws` that `subscriber-connection.ts` uses — events `open`, `message` (the
 * frame's text), `error`, `close(code, reason)`, and `send(text)`, `terminate()` — plus the hot path's own
 * hook: with `onMessage` set, a message is handed over as bytes of the read buffer (no string, no event,
 * one clock read per socket read) instead of the `message` event. Client frames are masked (RFC 6455 §5.3);
 * server frames must not be.
 *
 * Errors of the peer's framing (reserved bits, unknown opcodes, masked or oversized frames, a bad
 * handshake) are one `error` with a `WS_ERR_*` code, then the socket is closed (1002 / 1009 sent when
 * the upgrade was done) and `close` follows with 1006, like `ws`: the connection counts it and reconnects.
 */
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';
import { monoUs } from '../../common/mono-clock.ts';
import { noteRead } from './read-batching.ts';
import { type AdoptedSocket, adoptSocket, type PingProtocol } from './socket-reader/reader.ts';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** One read buffer for every socket of the process: reads are consumed synchronously. */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
/** Frames above this are refused (close 1009): a reply with a long recovery is well below it. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

/**
 * A complete text or binary message: bytes `data[start, end)`, valid only during the call (the buffer is
 * reused by the next read), and the run clock (µs) when the socket read that completed it returned.
 */
export type MessageBytesHandler = (data: Buffer, start: number, end: number, readAtUs: number) => void;

/** Masking keys come from a pool filled 4 KB at a time: one `randomFillSync` per 1,024 client frames. */
const MASK_POOL = Buffer.allocUnsafe(4096);
let maskPoolAt = MASK_POOL.length;

export interface RawWebSocketOptions {
  localAddress?: string;
  maxPayloadBytes?: number;
}

export class WebSocketProtocolError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly closeCode: number,
  ) {
    super(message);
  }
}

export class RawWebSocket extends EventEmitter {
  private readonly socket: Socket;
  private readonly key = randomBytes(16).toString('base64');
  private readonly maxPayloadBytes: number;
  private upgraded = false;
  private closed = false;
  /** Bytes of an incomplete handshake response or frame, kept until the next read completes them. */
  private pending: Buffer | undefined;
  /** Payloads of a fragmented message so far (RFC 6455 §5.4), and its total length. */
  private fragments: Buffer[] | undefined;
  private fragmentsBytes = 0;
  private closeFrame: { code: number; reason: string } | undefined;
  /** The run clock at the current read: taken once per read, shared by every message in it. */
  private readAtUs = 0;
  /** The native socket reader's hold on this socket (set once the upgrade is done, when it is on). */
  private adopted: AdoptedSocket | undefined;
  /** Server pings the native reader may answer (answerPingsNatively), and this side's writes not done yet. */
  private pingProtocol: PingProtocol | undefined;
  private writesInFlight = 0;
  /** The hot path: messages as bytes instead of `message` events (set it before the upgrade completes). */
  onMessage: MessageBytesHandler | undefined;

  constructor(url: string, options: RawWebSocketOptions = {}) {
    super();
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    const target = new URL(url);
    if (target.protocol !== 'ws:') throw new Error(`raw WebSocket: only ws:// URLs are supported, got ${url}`);
    const port = Number(target.port || 80);
    this.socket = connect({
      host: target.hostname,
      port,
      noDelay: true,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      onread: {
        buffer: SHARED_READ_BUFFER,
        callback: (n: number) => {
          this.onRead(SHARED_READ_BUFFER, 0, n, monoUs());
          return true;
        },
      },
    });
    this.socket.once('connect', () => {
      this.socket.write(
        `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on('error', (error) => this.emit('error', error));
    this.socket.once('close', () => this.onSocketClose());
  }

  /** Sends one text frame, masked. */
  send(text: string): void {
    if (this.closed || !this.upgraded) return;
    this.write(encodeClientFrame(OP_TEXT, Buffer.from(text)));
  }

  /** Sends one binary frame, masked (Centrifugo's Protobuf protocol). */
  sendBinary(payload: Buffer): void {
    if (this.closed || !this.upgraded) return;
    this.write(encodeClientFrame(OP_BINARY, payload));
  }

  /**
   * Lets the native socket reader answer the server's pings of `protocol` (Centrifugo's, not RFC 6455's)
   * itself, when it reads this socket: such a ping then never reaches `onMessage`; `nativePingAtUs` says
   * when the last one came. The owner calls it once the server asked for pongs; a no-op on Node's reads.
   */
  answerPingsNatively(protocol: PingProtocol): void {
    this.pingProtocol = protocol;
    this.syncNativePings();
  }

  /** When the native reader last answered a ping of this socket (run clock, µs); 0 if never. */
  get nativePingAtUs(): number {
    return this.adopted?.lastPingAtUs ?? 0;
  }

  /** True once the socket is cut (terminate, a protocol error): nothing more is delivered. */
  get terminated(): boolean {
    return this.socket.destroyed;
  }

  /** Cuts the connection at once; `close` (1006) follows. */
  terminate(): void {
    this.adopted?.release();
    this.socket.destroy();
  }

  /**
   * Every frame this side writes goes through here. While one is in flight (not yet handed to the kernel
   * in full), a pong written straight to the fd could land inside it: the native reader's pongs wait.
   */
  private write(frame: Buffer): void {
    if (this.pingProtocol === undefined || !this.adopted) {
      this.socket.write(frame);
      return;
    }
    this.writesInFlight++;
    this.adopted.answerPings(undefined);
    this.socket.write(frame, this.onWritten);
  }

  private readonly onWritten = (): void => {
    this.writesInFlight--;
    this.syncNativePings();
  };

  /** The native reader answers pings only while nothing else of this socket's byte streams is half done. */
  private syncNativePings(): void {
    const safe = this.writesInFlight === 0 && !this.pending && !this.fragments && !this.closeFrame;
    this.adopted?.answerPings(safe ? this.pingProtocol : undefined);
  }

  private onSocketClose(): void {
    this.adopted?.release();
    if (this.closed) return;
    this.closed = true;
    const frame = this.closeFrame;
    this.emit('close', frame?.code ?? 1006, Buffer.from(frame?.reason ?? ''));
  }

  /** A read from the native socket reader (socket-reader/reader.ts), once the upgrade is done. */
  private readonly onNativeRead = (buf: Buffer, start: number, n: number, readAtUs: number): void => {
    if (n > 0) {
      this.onRead(buf, start, start + n, readAtUs);
      return;
    }
    this.adopted?.release();
    // As Node's own read path ends a socket: EOF closes it, an error (ECONNRESET …) is an `error` first.
    if (n === 0) this.socket.destroy();
    else this.socket.destroy(readError(n));
  };

  private onRead(buf: Buffer, start: number, stop: number, readAtUs: number): void {
    if (this.closed) return;
    this.readAtUs = readAtUs;
    noteRead(readAtUs);
    let data = buf;
    let end = stop;
    let at = start;
    if (this.pending) {
      data = Buffer.concat([this.pending, buf.subarray(start, stop)]);
      end = data.length;
      at = 0;
      this.pending = undefined;
    }
    try {
      if (!this.upgraded) {
        at = this.readHandshake(data, at, end);
        if (at < 0) return;
        this.adopted = adoptSocket(this.socket, this.onNativeRead);
      }
      at = this.readFrames(data, at, end);
      if (at < end && !this.closed) this.pending = Buffer.from(data.subarray(at, end));
      if (this.pingProtocol !== undefined) this.syncNativePings();
    } catch (error) {
      if (!(error instanceof WebSocketProtocolError)) throw error;
      this.fail(error);
    }
  }

  /** Parses the 101 response; returns where frames start, or -1 when the headers are not complete yet. */
  private readHandshake(data: Buffer, begin: number, end: number): number {
    const headerEnd = data.subarray(0, end).indexOf('\r\n\r\n', begin);
    if (headerEnd < 0) {
      if (end - begin > 16 * 1024)
        throw new WebSocketProtocolError('WS_ERR_HANDSHAKE', 'handshake response too long', 0);
      this.pending = Buffer.from(data.subarray(begin, end));
      return -1;
    }
    const head = data.toString('latin1', begin, headerEnd);
    const status = head.slice(0, head.indexOf('\r\n'));
    if (!/^HTTP\/1\.1 101 /.test(status)) {
      throw new WebSocketProtocolError('WS_ERR_HANDSHAKE', `unexpected handshake response: ${status}`, 0);
    }
    const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
    const expected = createHash('sha1')
      .update(this.key + GUID)
      .digest('base64');
    if (accept !== expected) throw new WebSocketProtocolError('WS_ERR_HANDSHAKE', 'bad Sec-WebSocket-Accept', 0);
    this.upgraded = true;
    this.emit('open');
    return headerEnd + 4;
  }

  /** Handles every complete frame in data[at, end); returns where the first incomplete frame starts. */
  private readFrames(data: Buffer, at: number, end: number): number {
    while (at < end && !this.closed) {
      if (end - at < 2) return at;
      const b0 = data[at]!;
      const b1 = data[at + 1]!;
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      if ((b0 & 0x70) !== 0) throw protocolError('WS_ERR_UNEXPECTED_RSV', 'reserved bits set (no extension agreed)');
      if ((b1 & 0x80) !== 0) throw protocolError('WS_ERR_UNEXPECTED_MASK', 'a server frame must not be masked');
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (end - at < 4) return at;
        length = data.readUInt16BE(at + 2);
        header = 4;
      } else if (length === 127) {
        if (end - at < 10) return at;
        const high = data.readUInt32BE(at + 2);
        if (high > 0x1fffff) throw tooLarge(this.maxPayloadBytes);
        length = high * 2 ** 32 + data.readUInt32BE(at + 6);
        header = 10;
      }
      if (opcode >= 0x8) {
        if (!fin) throw protocolError('WS_ERR_EXPECTED_FIN', 'a control frame must not be fragmented');
        if (length > 125) throw protocolError('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 'control frame over 125 bytes');
      } else if (length + this.fragmentsBytes > this.maxPayloadBytes) throw tooLarge(this.maxPayloadBytes);
      const start = at + header;
      const stop = start + length;
      if (stop > end) return at;
      this.onFrame(fin, opcode, data, start, stop);
      at = stop;
    }
    return at;
  }

  private onFrame(fin: boolean, opcode: number, data: Buffer, start: number, stop: number): void {
    switch (opcode) {
      case OP_TEXT:
      case OP_BINARY:
        if (this.fragments) throw protocolError('WS_ERR_INVALID_OPCODE', 'a new message inside a fragmented one');
        if (fin) this.deliver(data, start, stop);
        else {
          this.fragments = [Buffer.from(data.subarray(start, stop))];
          this.fragmentsBytes = stop - start;
        }
        return;
      case OP_CONTINUATION: {
        const fragments = this.fragments;
        if (!fragments) throw protocolError('WS_ERR_INVALID_OPCODE', 'a continuation frame without a message');
        fragments.push(Buffer.from(data.subarray(start, stop)));
        this.fragmentsBytes += stop - start;
        if (fin) {
          this.fragments = undefined;
          this.fragmentsBytes = 0;
          const message = Buffer.concat(fragments);
          this.deliver(message, 0, message.length);
        }
        return;
      }
      case OP_PING:
        this.write(encodeClientFrame(OP_PONG, data.subarray(start, stop)));
        return;
      case OP_PONG:
        return;
      case OP_CLOSE: {
        const code = stop - start >= 2 ? data.readUInt16BE(start) : 1005;
        this.closeFrame = { code, reason: stop - start > 2 ? data.toString('utf8', start + 2, stop) : '' };
        // Echo the code (RFC 6455 §5.5.1), then end: the server closes the TCP connection first.
        const echo = Buffer.alloc(code === 1005 ? 0 : 2);
        if (code !== 1005) echo.writeUInt16BE(code);
        this.socket.end(encodeClientFrame(OP_CLOSE, echo));
        return;
      }
      default:
        throw protocolError('WS_ERR_INVALID_OPCODE', `invalid opcode ${opcode}`);
    }
  }

  private deliver(data: Buffer, start: number, stop: number): void {
    // A connection cut by its owner (terminate) hears nothing more, even from the rest of this read.
    if (this.socket.destroyed) return;
    const onMessage = this.onMessage;
    if (onMessage) onMessage(data, start, stop, this.readAtUs);
    else this.emit('message', data.toString('utf8', start, stop));
  }

  private fail(error: WebSocketProtocolError): void {
    this.emit('error', error);
    if (this.upgraded && error.closeCode && !this.socket.destroyed) {
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(error.closeCode);
      this.socket.write(encodeClientFrame(OP_CLOSE, payload));
    }
    this.pending = undefined;
    this.fragments = undefined;
    this.adopted?.release();
    this.socket.destroy();
  }
}

/** The error Node's own read path raises for a failed read (`read ECONNRESET`). */
function readError(errno: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(`read ${code}`), { errno, code, syscall: 'read' });
}

function protocolError(code: string, message: string): WebSocketProtocolError {
  return new WebSocketProtocolError(code, message, 1002);
}

function tooLarge(max: number): WebSocketProtocolError {
  return new WebSocketProtocolError('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', `frame over ${max} bytes`, 1009);
}

/** A final client frame: FIN + opcode, the length, a random 4-byte mask and the masked payload. */
export function encodeClientFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + 4 + length);
  frame[0] = 0x80 | opcode;
  if (header === 2) frame[1] = 0x80 | length;
  else if (header === 4) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  if (maskPoolAt + 4 > MASK_POOL.length) {
    randomFillSync(MASK_POOL);
    maskPoolAt = 0;
  }
  for (let i = 0; i < 4; i++) frame[header + i] = MASK_POOL[maskPoolAt++]!;
  for (let i = 0; i < length; i++) frame[header + 4 + i] = payload[i]! ^ frame[header + (i & 3)]!;
  return frame;
}
