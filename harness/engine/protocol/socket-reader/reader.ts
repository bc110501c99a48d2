/**
 * The worker side of the native socket reader (socket-reader.c): after a WebSocket's upgrade, its socket's
 * reads move from Node's per-socket callbacks to the process's one epoll set, and every read of a wakeup
 * comes back in one batch. Each read is handed to its socket's sink with its bytes (in one buffer shared by
 * the process, valid only during the call, as Node's `onread` buffer) and its clock. Off unless the worker
 * was given the addon's path (build.ts).
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

/** One read: `buffer[start, start + n)`; n ≤ 0 is the end (0: EOF, < 0: -errno); `readAtUs` the run clock. */
export type SocketReadSink = (buffer: Buffer, start: number, n: number, readAtUs: number) => void;

interface SocketReaderAddon {
  open(buffer: Buffer, meta: Int32Array, stamps: Float64Array, onBatch: (count: number) => void): void;
  add(fd: number, id: number): void;
  remove(fd: number): void;
}

/** Must match MAX_EVENTS in socket-reader.c. */
const MAX_READS_PER_BATCH = 512;
const READ_BUFFER = Buffer.allocUnsafe(1024 * 1024);
/** Per read: socket id, offset in READ_BUFFER, bytes read (or -errno). */
const META = new Int32Array(3 * MAX_READS_PER_BATCH);
const STAMPS = new Float64Array(MAX_READS_PER_BATCH);

let addon: SocketReaderAddon | undefined;
/** Batches handed over and reads in them, since the process started: diagnostics and tests. */
export const nativeReadStats = { batches: 0, reads: 0 };
/** Sinks by socket id; ids are reused once released. */
const sinks: (SocketReadSink | undefined)[] = [];
const freeIds: number[] = [];

/** Loads the built addon (its path from build.ts) and starts watching; once a process. */
export function useNativeSocketReader(addonPath: string): void {
  if (addon) return;
  const loaded = createRequire(import.meta.url)(addonPath) as SocketReaderAddon;
  loaded.open(READ_BUFFER, META, STAMPS, onBatch);
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

/**
 * Moves the socket's reads to the native reader; returns the function that stops them (call it before the
 * socket is destroyed), or undefined when the native reader is off (Node keeps reading).
 */
export function adoptSocket(socket: Socket, sink: SocketReadSink): (() => void) | undefined {
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
  handle.readStop();
  const native = addon;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    native.remove(fd);
    sinks[id] = undefined;
    freeIds.push(id);
  };
}
