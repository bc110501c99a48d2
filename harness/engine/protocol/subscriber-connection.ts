/**
 * One subscriber: a WebSocket speaking Centrifugo's JSON protocol (reference/centrifugo.md §3), kept alive
 * for the whole run — connect + subscribe in one frame, one `{}` per server ping, reconnect with backoff
 * and recovery (`recover: true, epoch, offset`) after a close that allows it.
 *
 * It only speaks the protocol; what a publication means (latency, sequence accounting) is the listener's
 * business, so one listener object serves every connection of a worker.
 *
 * Hot path: frames arrive as bytes of the shared read buffer; a server ping (`{}`) is answered without a
 * string, and a plain publication of the engine's payload goes to `listener.marker` with its marker read
 * from the bytes (publication-scan.ts). Every other line is decoded as text with `JSON.parse`, as is every
 * publication when the listener has no `marker`.
 *
 * With `protocol: 'protobuf'` the same conversation runs over Centrifugo's Protobuf protocol
 * (protobuf-codec.ts): binary frames of length-prefixed Replies, read field by field without allocating —
 * Reply → Push → Publication's data and offset — and the data (the publisher's JSON, the same bytes in both
 * protocols) scanned for the marker (`scanDataMarker`). Connect and subscribe replies are decoded into the
 * JSON protocol's shapes, so both protocols share every handler below.
 *
 * Bytes a server must not send (a line that is not JSON, a Protobuf message that does not parse) are one
 * error per connection (`json_malformed`, `protobuf_malformed`) and a reconnect, never a throw.
 */
import { monoUs } from '../../common/mono-clock.ts';
import { backoffDelay } from './backoff.ts';
import { classifyClose, isTemporaryReplyError, shouldResubscribe } from './close-codes.ts';
import {
  type Command,
  decodeLine,
  encodeCommands,
  PING_LINE,
  PONG_FRAME,
  type Publication,
  type ReplyError,
} from './frame-codec.ts';
import {
  decodeConnectResult,
  decodeError,
  decodeJsonData,
  decodeSubscribeResult,
  encodeProtobufCommands,
  newFieldCursor,
  PROTOBUF_PONG,
  ProtobufFormatError,
  readField,
  readVarint,
  varintEnd,
  WIRE_BYTES,
  WIRE_VARINT,
} from './protobuf-codec.ts';
import { publicationHead, type ScannedPublication, scanDataMarker, scanPublication } from './publication-scan.ts';
import { RawWebSocket } from './raw-websocket.ts';

export interface SubscriberListener {
  /** Connect reply received; `durationUs` = dial start → connect reply. */
  connected(conn: SubscriberConnection, durationUs: number): void;
  /**
   * Subscribe reply received at `atUs` (run clock); `reconnectUs` = time since the disconnect when this was
   * a reconnect.
   */
  subscribed(conn: SubscriberConnection, info: SubscribedInfo): void;
  /** A publication on the subscribed channel, live or (`recovered`) replayed by a recovering subscribe. */
  publication(conn: SubscriberConnection, pub: Publication, receivedUs: number, recovered: boolean): void;
  /**
   * Optional fast form of `publication` for a live publication whose bench marker was read from the bytes:
   * the stream id is data[streamStart, streamEnd) (JSON-escaped, valid during the call only).
   */
  marker?(
    conn: SubscriberConnection,
    data: Buffer,
    streamStart: number,
    streamEnd: number,
    q: number,
    t: number,
    receivedUs: number,
  ): void;
  /** The subscription ended (a disconnect, or a server unsubscribe). */
  unsubscribed(conn: SubscriberConnection): void;
  /** An error by code: ws_close_3012, connect_error_109, ws_ECONNREFUSED, connect_timeout, … */
  error(conn: SubscriberConnection, code: string): void;
  /** The connection gave up for good (terminal close or error). */
  terminal(conn: SubscriberConnection, reason: string): void;
}

export interface SubscribedInfo {
  atUs: number;
  durationUs: number;
  wasRecovering: boolean;
  recovered: boolean;
  reconnectUs: number | null;
}

export interface SubscriberConnectionOptions {
  /** Node URLs; the first is this subscriber's node, the others are tried in turn when a dial fails. */
  urls: string[];
  userId: string;
  channel: string;
  connectionToken: string;
  subscriptionToken: string;
  /** Dial → subscribed must finish within this, or the attempt is abandoned (and retried). */
  connectTimeoutMs: number;
  reconnect: { enabled: boolean; minDelayMs: number; maxDelayMs: number };
  localAddress?: string;
  clientName?: string;
  /** Centrifugo's client protocol: 'json' (text frames, the default) or 'protobuf' (`?format=protobuf`). */
  protocol?: SubscriberProtocol;
}

export type SubscriberProtocol = 'json' | 'protobuf';

export type ConnectionState = 'idle' | 'dialing' | 'connected' | 'subscribed' | 'waiting' | 'closed';

const CONNECT_ID = 1;
const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
/** One scan result for every connection of the process: read right after each scan. */
const scanned: ScannedPublication = { streamStart: 0, streamEnd: 0, q: 0, t: 0, offset: 0 };
/** One Protobuf field cursor for every connection of the process (the hot path walks one message at a time). */
const field = newFieldCursor();

export class SubscriberConnection {
  state: ConnectionState = 'idle';
  /** Recovery position: the stream epoch and the last offset seen on the channel. */
  epoch: string | undefined;
  offset = 0;
  /** Seconds between server pings (from the connect reply); 0 until connected. */
  pingIntervalS = 0;
  /** Last time a frame was handed to this connection, ms (run clock). */
  private lastMessageAtMs = 0;
  /** Free slot for the owner (index of its accounting state). */
  slot = -1;

  private ws: RawWebSocket | undefined;
  private urlIndex = 0;
  private attempt = 0;
  private pong = false;
  private nextId = CONNECT_ID;
  private subscribeId = 0;
  private dialStartUs = 0;
  private subscribeSentUs = 0;
  private disconnectedAtUs: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private everSubscribed = false;
  /** Set when we cut the socket ourselves and already counted why. */
  private closeCounted = false;
  /** The bytes a publication line on this channel starts with (the fast path's test). */
  private readonly publicationHead: Buffer;
  private readonly protobuf: boolean;
  /** The channel's UTF-8 bytes (the Protobuf path compares a push's channel field with them). */
  private readonly channelBytes: Buffer;

  constructor(
    readonly options: SubscriberConnectionOptions,
    private readonly listener: SubscriberListener,
  ) {
    this.publicationHead = publicationHead(options.channel);
    this.protobuf = options.protocol === 'protobuf';
    this.channelBytes = Buffer.from(options.channel);
  }

  /** Last time a frame arrived, ms (run clock), for dead-connection detection: pings answered in C count. */
  get lastFrameAtMs(): number {
    return Math.max(this.lastMessageAtMs, (this.ws?.nativePingAtUs ?? 0) / 1000);
  }

  get userId(): string {
    return this.options.userId;
  }

  get channel(): string {
    return this.options.channel;
  }

  get url(): string {
    return this.options.urls[this.urlIndex % this.options.urls.length]!;
  }

  /** Starts dialling (the first time, or again after a disconnect). */
  open(): void {
    if (this.state === 'closed') return;
    this.clearTimer();
    this.state = 'dialing';
    this.closeCounted = false;
    this.pong = false;
    this.nextId = CONNECT_ID;
    this.dialStartUs = monoUs();
    // The dial, handshake and subscribe are bounded by the connect timeout below (abandon).
    const url = this.protobuf ? withProtobufFormat(this.url) : this.url;
    const ws = new RawWebSocket(url, this.options.localAddress ? { localAddress: this.options.localAddress } : {});
    this.ws = ws;
    this.timer = setTimeout(() => this.abandon('connect_timeout'), this.options.connectTimeoutMs);
    ws.on('open', () => this.onOpen(ws));
    ws.onMessage = this.protobuf
      ? (data, start, end, readAtUs) => this.onProtobufMessage(ws, data, start, end, readAtUs)
      : (data, start, end, readAtUs) => this.onMessage(ws, data, start, end, readAtUs);
    ws.on('error', (error: NodeJS.ErrnoException) => {
      if (ws === this.ws) this.listener.error(this, `ws_${error.code ?? 'error'}`);
    });
    ws.on('close', (code: number, reason: Buffer) => this.onClose(ws, code, reason.toString()));
  }

  /** Closes for good (end of run): no reconnect. */
  close(): void {
    if (this.state === 'closed') return;
    const wasSubscribed = this.state === 'subscribed';
    this.state = 'closed';
    this.clearTimer();
    const ws = this.ws;
    this.ws = undefined;
    if (ws) ws.terminate();
    if (wasSubscribed) this.listener.unsubscribed(this);
  }

  /** Drops the socket as if the network failed (tests, dead-connection detection); reconnects if allowed. */
  drop(code: string): void {
    if (!this.ws || this.state === 'closed') return;
    this.listener.error(this, code);
    this.closeCounted = true;
    this.ws.terminate();
  }

  private onOpen(ws: RawWebSocket): void {
    if (ws !== this.ws) return;
    const commands: Command[] = [
      {
        id: this.nextId++,
        connect: { token: this.options.connectionToken, name: this.options.clientName ?? 'centrifugo-bench' },
      },
      this.subscribeCommand(),
    ];
    // connect + subscribe in ONE frame: commands of one connection run in order (§3 "Minimal raw client").
    this.subscribeSentUs = monoUs();
    this.send(ws, commands);
  }

  private send(ws: RawWebSocket, commands: Command[]): void {
    if (this.protobuf) ws.sendBinary(encodeProtobufCommands(commands));
    else ws.send(encodeCommands(commands));
  }

  private sendPong(ws: RawWebSocket): void {
    // Exactly one pong per server ping, and only when the connect reply asked for pongs (§3 Ping/pong).
    if (!this.pong) return;
    if (this.protobuf) ws.sendBinary(PROTOBUF_PONG);
    else ws.send(PONG_FRAME);
  }

  private subscribeCommand(): Command {
    this.subscribeId = this.nextId++;
    const subscribe: Record<string, unknown> = { channel: this.options.channel, token: this.options.subscriptionToken };
    if (this.everSubscribed && this.epoch !== undefined) {
      subscribe.recover = true;
      subscribe.epoch = this.epoch;
      subscribe.offset = this.offset;
    }
    return { id: this.subscribeId, subscribe };
  }

  /** One WebSocket message: one or more lines separated by `\n` (batched by the server). */
  private onMessage(ws: RawWebSocket, data: Buffer, start: number, end: number, receivedUs: number): void {
    if (ws !== this.ws) return;
    this.lastMessageAtMs = receivedUs / 1000;
    while (start < end) {
      // A raw newline only ever separates lines: JSON escapes it inside strings.
      let lineEnd = start;
      while (lineEnd < end && data[lineEnd] !== NEWLINE) lineEnd++;
      if (lineEnd > start) {
        this.onLineBytes(ws, data, start, lineEnd, receivedUs);
        // A line may have cut the connection (bytes that are not JSON): the rest is not read.
        if (ws.terminated) return;
      }
      start = lineEnd + 1;
    }
  }

  private onLineBytes(ws: RawWebSocket, data: Buffer, start: number, end: number, receivedUs: number): void {
    if (end - start === 2 && data[start] === OPEN_BRACE && data[start + 1] === CLOSE_BRACE) {
      this.sendPong(ws);
      return;
    }
    const marker = this.listener.marker;
    if (
      marker !== undefined &&
      this.state === 'subscribed' &&
      scanPublication(data, start, end, this.publicationHead, scanned)
    ) {
      this.offset = scanned.offset;
      marker.call(this.listener, this, data, scanned.streamStart, scanned.streamEnd, scanned.q, scanned.t, receivedUs);
      return;
    }
    try {
      this.onLine(ws, data.toString('utf8', start, end), receivedUs);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      this.malformed(ws, 'json_malformed');
    }
  }

  private onLine(ws: RawWebSocket, line: string, receivedUs: number): void {
    if (line === PING_LINE) {
      this.sendPong(ws);
      return;
    }
    const decoded = decodeLine(line);
    if (decoded.kind === 'push') {
      if (decoded.type === 'pub') {
        if (decoded.channel !== this.options.channel || this.state !== 'subscribed') return;
        const pub = decoded.body as Publication;
        if (typeof pub.offset === 'number') this.offset = pub.offset;
        this.listener.publication(this, pub, receivedUs, false);
      } else if (decoded.type === 'unsubscribe' && decoded.channel === this.options.channel) {
        this.onServerUnsubscribe(ws, Number(decoded.body.code ?? 0));
      }
      return;
    }
    if (decoded.kind === 'ping') {
      this.sendPong(ws);
      return;
    }
    if (decoded.id === CONNECT_ID) this.onConnectReply(ws, decoded.result, decoded.error, receivedUs);
    else if (decoded.id === this.subscribeId) this.onSubscribeReply(ws, decoded.result, decoded.error, receivedUs);
  }

  /** One binary message: one or more Replies, each prefixed with its length (a varint). */
  private onProtobufMessage(ws: RawWebSocket, data: Buffer, start: number, end: number, receivedUs: number): void {
    if (ws !== this.ws) return;
    this.lastMessageAtMs = receivedUs / 1000;
    let at = start;
    while (at < end) {
      const length = readVarint(data, at, end);
      const replyStart = varintEnd;
      if (length < 0 || replyStart + length > end) {
        this.malformed(ws, 'protobuf_malformed');
        return;
      }
      const replyEnd = replyStart + length;
      // The server's ping is an empty Reply.
      if (length === 0) this.sendPong(ws);
      else if (!this.onProtobufReply(ws, data, replyStart, replyEnd, receivedUs)) {
        this.malformed(ws, 'protobuf_malformed');
        return;
      }
      // A reply may have ended the connection (a terminal error).
      if (ws !== this.ws) return;
      at = replyEnd;
    }
  }

  /** One Reply: a push, or the reply to one of our commands; false when its bytes do not parse. */
  private onProtobufReply(ws: RawWebSocket, data: Buffer, start: number, end: number, receivedUs: number): boolean {
    let id = 0;
    let errorStart = -1;
    let errorEnd = -1;
    let resultStart = -1;
    let resultEnd = -1;
    let at = start;
    while (at < end) {
      if (!readField(data, at, end, field)) return false;
      at = field.next;
      if (field.wireType === WIRE_VARINT) {
        if (field.number === 1) id = field.value;
      } else if (field.wireType === WIRE_BYTES) {
        // 4 push; 2 error; 5 connect, 6 subscribe (the result of the command `id` names).
        if (field.number === 4) return this.onProtobufPush(ws, data, field.start, field.end, receivedUs);
        if (field.number === 2) {
          errorStart = field.start;
          errorEnd = field.end;
        } else if (field.number === 5 || field.number === 6) {
          resultStart = field.start;
          resultEnd = field.end;
        }
      }
    }
    if (id === 0) return true;
    try {
      const error = errorStart >= 0 ? decodeError(data, errorStart, errorEnd) : undefined;
      if (id === CONNECT_ID) {
        const result = resultStart >= 0 ? decodeConnectResult(data, resultStart, resultEnd) : {};
        this.onConnectReply(ws, error ? undefined : result, error, receivedUs);
      } else if (id === this.subscribeId) {
        const result = resultStart >= 0 ? decodeSubscribeResult(data, resultStart, resultEnd) : {};
        this.onSubscribeReply(ws, error ? undefined : result, error, receivedUs);
      }
    } catch (error) {
      if (error instanceof ProtobufFormatError) return false;
      throw error;
    }
    return true;
  }

  /** A Push: a publication on this connection's channel (the hot path), or a server unsubscribe. */
  private onProtobufPush(ws: RawWebSocket, data: Buffer, start: number, end: number, receivedUs: number): boolean {
    let channelStart = -1;
    let channelEnd = -1;
    let pubStart = -1;
    let pubEnd = -1;
    let unsubscribeStart = -1;
    let unsubscribeEnd = -1;
    let at = start;
    while (at < end) {
      if (!readField(data, at, end, field)) return false;
      at = field.next;
      if (field.wireType !== WIRE_BYTES) continue;
      if (field.number === 2) {
        channelStart = field.start;
        channelEnd = field.end;
      } else if (field.number === 4) {
        pubStart = field.start;
        pubEnd = field.end;
      } else if (field.number === 7) {
        unsubscribeStart = field.start;
        unsubscribeEnd = field.end;
      }
    }
    if (!this.isOwnChannel(data, channelStart, channelEnd)) return true;
    if (pubStart >= 0) return this.onProtobufPublication(data, pubStart, pubEnd, receivedUs);
    if (unsubscribeStart >= 0) {
      let code = 0;
      for (at = unsubscribeStart; at < unsubscribeEnd; at = field.next) {
        if (!readField(data, at, unsubscribeEnd, field)) return false;
        if (field.number === 2 && field.wireType === WIRE_VARINT) code = field.value;
      }
      this.onServerUnsubscribe(ws, code);
    }
    return true;
  }

  private onProtobufPublication(data: Buffer, start: number, end: number, receivedUs: number): boolean {
    let dataStart = -1;
    let dataEnd = -1;
    let offset = -1;
    for (let at = start; at < end; at = field.next) {
      if (!readField(data, at, end, field)) return false;
      if (field.number === 4 && field.wireType === WIRE_BYTES) {
        dataStart = field.start;
        dataEnd = field.end;
      } else if (field.number === 6 && field.wireType === WIRE_VARINT) offset = field.value;
    }
    if (this.state !== 'subscribed') return true;
    // Offset 0 is omitted on the wire (a channel without history): then there is no position to keep.
    if (offset >= 0) this.offset = offset;
    const marker = this.listener.marker;
    if (marker !== undefined && dataStart >= 0 && scanDataMarker(data, dataStart, dataEnd, scanned)) {
      marker.call(this.listener, this, data, scanned.streamStart, scanned.streamEnd, scanned.q, scanned.t, receivedUs);
      return true;
    }
    const pub: Publication = {};
    if (dataStart >= 0) pub.data = decodeJsonData(data, dataStart, dataEnd);
    if (offset >= 0) pub.offset = offset;
    this.listener.publication(this, pub, receivedUs, false);
    return true;
  }

  private isOwnChannel(data: Buffer, start: number, end: number): boolean {
    const own = this.channelBytes;
    if (start < 0 || end - start !== own.length) return false;
    for (let i = 0; i < own.length; i++) if (data[start + i] !== own[i]) return false;
    return true;
  }

  /** Bytes the server must not send: counted for this connection, which reconnects (never a throw). */
  private malformed(ws: RawWebSocket, code: string): void {
    if (ws !== this.ws) return;
    this.listener.error(this, code);
    this.closeCounted = true;
    ws.terminate();
  }

  private onConnectReply(
    ws: RawWebSocket,
    result: Record<string, unknown> | undefined,
    error: ReplyError | undefined,
    receivedUs: number,
  ): void {
    if (error) {
      this.listener.error(this, `connect_error_${error.code}`);
      if (isTemporaryReplyError(error)) ws.terminate();
      else this.giveUp(`connect refused: ${error.code} ${error.message}`);
      return;
    }
    this.state = 'connected';
    this.pong = result?.pong === true;
    this.pingIntervalS = Number(result?.ping ?? 0);
    // A lone ping then costs a wakeup and a write in C, not a call into JavaScript (socket-reader.c).
    if (this.pong) ws.answerPingsNatively(this.protobuf ? 'protobuf' : 'json');
    this.listener.connected(this, receivedUs - this.dialStartUs);
  }

  private onSubscribeReply(
    ws: RawWebSocket,
    result: Record<string, unknown> | undefined,
    error: ReplyError | undefined,
    receivedUs: number,
  ): void {
    if (error) {
      this.listener.error(this, `subscribe_error_${error.code}`);
      // 105 "already subscribed": two server unsubscribes (2500) in a row made two resubscribes; commands of a
      // connection run in order, so the first already succeeded and this one is moot (seen under overload).
      if (error.code === 105 && this.state === 'subscribed') return;
      if (isTemporaryReplyError(error)) {
        this.clearTimer();
        this.timer = setTimeout(() => this.resubscribe(ws), this.nextDelay());
      } else this.giveUp(`subscribe refused: ${error.code} ${error.message}`);
      return;
    }
    this.clearTimer();
    const r = result ?? {};
    const wasRecovering = r.was_recovering === true;
    // `recovered` is omitted when false (false/zero fields are omitted, §3 Subscribe).
    const recovered = r.recovered === true;
    if (typeof r.epoch === 'string') this.epoch = r.epoch;
    if (typeof r.offset === 'number') this.offset = r.offset;
    this.state = 'subscribed';
    this.everSubscribed = true;
    this.attempt = 0;
    const reconnectUs = this.disconnectedAtUs === null ? null : receivedUs - this.disconnectedAtUs;
    this.disconnectedAtUs = null;
    this.listener.subscribed(this, {
      atUs: receivedUs,
      durationUs: receivedUs - this.subscribeSentUs,
      wasRecovering,
      recovered,
      reconnectUs,
    });
    // Missed publications, in order; the reply's own offset is the requested position, so the position to
    // recover from next time is the last replayed publication's offset (checked against v6.9.1).
    const publications = r.publications as Publication[] | undefined;
    if (publications) {
      for (const pub of publications) {
        if (typeof pub.offset === 'number' && pub.offset > this.offset) this.offset = pub.offset;
        this.listener.publication(this, pub, receivedUs, true);
      }
    }
  }

  private onServerUnsubscribe(ws: RawWebSocket, code: number): void {
    if (this.state === 'subscribed') this.listener.unsubscribed(this);
    this.listener.error(this, `unsubscribe_${code}`);
    if (shouldResubscribe(code)) {
      this.state = 'connected';
      this.disconnectedAtUs = monoUs();
      this.clearTimer();
      this.timer = setTimeout(() => this.resubscribe(ws), this.nextDelay());
    } else this.giveUp(`unsubscribed by the server with code ${code}`);
  }

  private resubscribe(ws: RawWebSocket): void {
    if (ws !== this.ws || this.state === 'closed') return;
    this.subscribeSentUs = monoUs();
    this.send(ws, [this.subscribeCommand()]);
  }

  private onClose(ws: RawWebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    this.clearTimer();
    if (this.state === 'closed') return;
    const wasSubscribed = this.state === 'subscribed';
    const neverOpened = this.state === 'dialing';
    if (wasSubscribed) {
      this.listener.unsubscribed(this);
      this.disconnectedAtUs = monoUs();
    }
    // A dial that failed was already counted by its 'error' event (ws_ECONNREFUSED, …).
    if (!this.closeCounted && !(code === 1006 && neverOpened)) this.listener.error(this, `ws_close_${code}`);
    if (classifyClose(code) === 'terminal') {
      this.giveUp(`closed with terminal code ${code}${reason ? ` (${reason})` : ''}`);
      return;
    }
    if (!this.options.reconnect.enabled) {
      this.giveUp(`closed with code ${code}; reconnect disabled`);
      return;
    }
    // A dial that never reached the server moves on to the next node (a killed node refuses connections).
    if (neverOpened && this.options.urls.length > 1) this.urlIndex++;
    this.state = 'waiting';
    this.timer = setTimeout(() => this.open(), this.nextDelay());
  }

  private abandon(code: string): void {
    if (this.state === 'subscribed' || this.state === 'closed' || !this.ws) return;
    this.listener.error(this, code);
    // terminate → close 1006 → reconnect path, moving on to the next node like a failed dial.
    this.state = 'dialing';
    this.closeCounted = true;
    this.ws.terminate();
  }

  private giveUp(reason: string): void {
    const ws = this.ws;
    this.ws = undefined;
    this.state = 'closed';
    this.clearTimer();
    ws?.terminate();
    this.listener.terminal(this, reason);
  }

  private nextDelay(): number {
    const { minDelayMs, maxDelayMs } = this.options.reconnect;
    return backoffDelay(this.attempt++, minDelayMs, maxDelayMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** The node's URL with `format=protobuf` (Centrifugo picks the protocol from it, reference §3). */
function withProtobufFormat(url: string): string {
  const target = new URL(url);
  target.searchParams.set('format', 'protobuf');
  return target.toString();
}
