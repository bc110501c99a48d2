/**
 * The worker side of the native socket reader (socket-reader.c): after a WebSocket's upgrade, its socket's
 * reads move from Node's per-socket callbacks to the process's one epoll set, and every read of a wakeup
 * comes back in one batch. Each read is handed to its socket's sink with its bytes (in one buffer shared by
 * the process, valid only during the call, as Node's `onread` buffer) and its clock. Off unless the worker
 * was given the addon's path (build.ts).
 *
 * A socket's server pings can be answered in C too (`AdoptedSocket.answerPings`): a read that is exactly one
 * ping never reaches JavaScript; its pong is written to the fd and its time kept for the dead-connection check.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

/** One read: `buffer[start, start + n)`; n ≤ 0 is the end (0: EOF, < 0: -errno); `readAtUs` the run clock. */
export type SocketReadSink = (buffer: Buffer, start: number, n: number, readAtUs: number) => void;

interface SocketReaderAddon {
  open(
    buffer: Buffer,
    meta: Int32Array,
    stamps: Float64Array,
    onBatch: (count: number) => void,
    pingModes: Uint8Array,
    pingAtUs: Float64Array,
    pingCounters: Float64Array,
  ): void;
  add(fd: number, id: number): void;
  remove(fd: number): void;
}

/** Must match MAX_EVENTS in socket-reader.c. */
const MAX_READS_PER_BATCH = 512;
const READ_BUFFER = Buffer.allocUnsafe(1024 * 1024);
/** Per read: socket id, offset in READ_BUFFER, bytes read (or -errno). */
const META = new Int32Array(3 * MAX_READS_PER_BATCH);
const STAMPS = new Float64Array(MAX_READS_PER_BATCH);
/** Socket ids below this can have their pings answered in C (a worker holds < 20,000 sockets: its fd limit). */
const PING_CAPACITY = 65536;
/** Per socket id: how C answers its pings (PING_MODES values), and when it last did (run clock, µs). */
const PING_MODES = new Uint8Array(PING_CAPACITY);
const PING_AT_US = new Float64Array(PING_CAPACITY);
/** [pongs written in C, pings handed back to JavaScript because the socket's send queue was not empty]. */
const PING_COUNTERS = new Float64Array(2);

/** Which server ping C recognises and answers: socket-reader.c's PING_JSON and PING_PROTOBUF. */
export const PING_MODES_BY_PROTOCOL = { json: 1, protobuf: 2 } as const;
export type PingProtocol = keyof typeof PING_MODES_BY_PROTOCOL;

let addon: SocketReaderAddon | undefined;
/** Batches handed over and reads in them, since the process started: diagnostics and tests. */
export const nativeReadStats = { batches: 0, reads: 0 };
/** Pings answered in C since the process started, and pings C handed back (the send queue not empty). */
export function nativePingStats(): { answered: number; handedBack: number } {
  return { answered: PING_COUNTERS[0]!, handedBack: PING_COUNTERS[1]! };
}
/** Sinks by socket id; ids are reused once released. */
const sinks: (SocketReadSink | undefined)[] = [];
const freeIds: number[] = [];

/** Loads the built addon (its path from build.ts) and starts watching; once a process. */
export function useNativeSocketReader(addonPath: string): void {
  if (addon) return;
  const loaded = createRequire(import.meta.url)(addonPath) as SocketReaderAddon;
  loaded.open(READ_BUFFER, META, STAMPS, onBatch, PING_MODES, PING_AT_US, PING_COUNTERS);
  addon = loaded;
}

export function nativeSocketReaderInUse(): boolean {
  return addon !== undefined;
}

function onBatch(count: number): void {
  nativeReadStats.batches++;
  nativeReadStats.reads += count;
  for (let i = 0; i < count; i++) {
    const at = 3 * i;
    sinks[META[at]!]?.(READ_BUFFER, META[at + 1]!, META[at + 2]!, STAMPS[i]!);
  }
}

/** A socket read by the native reader. */
export interface AdoptedSocket {
  /** Stops the native reads of this socket (call it before the socket is destroyed); idempotent. */
  release(): void;
  /**
   * Whether C answers this socket's server pings, and in which protocol; `undefined` = JavaScript does. The
   * caller turns it off whenever a pong written to the fd could land inside other bytes: while a frame is
   * half read, or while its own write is in flight. C hands a ping back when the socket's send queue is not
   * empty (the server slow to read).
   */
  answerPings(protocol: PingProtocol | undefined): void;
  /** When C last answered a ping of this socket (run clock, µs), 0 if never. */
  readonly lastPingAtUs: number;
}

/**
 * Moves the socket's reads to the native reader, or returns undefined when the native reader is off (Node
 * keeps reading).
 */
export function adoptSocket(socket: Socket, sink: SocketReadSink): AdoptedSocket | undefined {
  if (!addon) return undefined;
  // net.Socket keeps its handle; only reading stops. Node never restarts it: with `onread` the stream
  // is never paused or resumed, and the handle's `reading` flag stays set.
  const handle = (socket as unknown as { _handle?: { fd: number; readStop(): number } })._handle;
  if (!handle || !(handle.fd >= 0)) return undefined;
  const fd = handle.fd;
  const id = freeIds.pop() ?? sinks.length;
  try {
    addon.add(fd, id);
  } catch {
    // The epoll set refused it (the kernel's max_user_watches): Node keeps reading this socket.
    freeIds.push(id);
    return undefined;
  }
  sinks[id] = sink;
  PING_MODES[id] = 0;
  PING_AT_US[id] = 0;
  handle.readStop();
  const native = addon;
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      native.remove(fd);
      PING_MODES[id] = 0;
      sinks[id] = undefined;
      freeIds.push(id);
    },
    answerPings(protocol) {
      // Ids past the arrays (more sockets than a worker can open here) keep JavaScript's pongs.
      if (!released && id < PING_CAPACITY) PING_MODES[id] = protocol ? PING_MODES_BY_PROTOCOL[protocol] : 0;
    },
    get lastPingAtUs() {
      return released || id >= PING_CAPACITY ? 0 : PING_AT_US[id]!;
    },
  };
}
