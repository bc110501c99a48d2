/**
 * Read batching for the subscriber hot path (issue 18): a worker holding thousands of sockets wakes for
 * one or two frames at a time while a broadcast trickles in (Centrifugo writes each connection's frame
 * separately, and the worker shares the cores with it), and each wakeup costs a context switch, an
 * `epoll_wait` and a loop turn, more than the frames it finds. So when a turn of the event loop is part of
 * a trickle, the worker sleeps a short window before its next `epoll_wait`: the kernel queues the frames
 * that arrive meanwhile and the next wakeup finds many sockets ready. Measured with 2,000 subscribers on
 * one worker (sdk-comparison.bench.ts): subscriber-worker CPU per delivery down ~30 % with a 1 ms window.
 *
 * What it costs the measurement: a frame that arrives during the window is stamped when it is read, so its
 * latency includes up to one window of the generator's own wait — never less than the truth, at most
 * `windowUs` more. A turn that is not part of a trickle (a lone ping, a lone reply) never waits (nor schedules
 * the end-of-turn check), nor does one that read a full batch (a burst arriving all at once).
 *
 * One instance per process: the wait blocks the whole event loop, which is the point. Off (0) unless the
 * worker configures it.
 */
import { monoUs } from '../../common/mono-clock.ts';

/** A turn with reads this soon after the previous one is part of a trickle. */
export const TRICKLE_GAP_US = 2000;
/**
 * A turn with at least this many reads already spreads its wakeup over enough frames (a wakeup costs a few
 * frames' worth): no wait after it. So a burst that arrives faster than it is read (thousands of sockets on
 * one shared channel) is drained without waits, as before: waiting there can only delay it.
 */
export const FULL_TURN_READS = 32;
/** Most a window may be: longer adds latency for nothing (the gain is flat from ~1 ms, the bench above). */
export const MAX_READ_BATCH_WINDOW_US = 5000;

/**
 * Whether a loop turn that did `reads` socket reads, and began `sinceLastTurnUs` after the end of the
 * previous turn with reads, should be followed by a wait.
 */
export function shouldWaitAfterTurn(reads: number, sinceLastTurnUs: number): boolean {
  if (reads === 0 || reads >= FULL_TURN_READS) return false;
  return reads > 1 || sinceLastTurnUs < TRICKLE_GAP_US;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
let windowUs = 0;
let turnScheduled = false;
let readsThisTurn = 0;
/** The gap before the turn's first counted read (from the previous read or the previous wait's end). */
let turnGapUs = 0;
let lastReadAtUs = -Infinity;
let lastTurnEndUs = -Infinity;
/**
 * Loop turns that ran the end-of-turn check, the waits after them, and lone reads (a read long after the
 * previous one, with no check scheduled for it): diagnostics and tests.
 */
export const readBatchingStats = { turns: 0, waits: 0, loneReads: 0 };

/** Sets this process's window (µs, 0 = off). */
export function configureReadBatching(us: number): void {
  if (!(us >= 0 && us <= MAX_READ_BATCH_WINDOW_US)) {
    throw new RangeError(`read batch window must be 0-${MAX_READ_BATCH_WINDOW_US} µs, got ${us}`);
  }
  windowUs = us;
}

/** Called once per socket read, with the read's clock. */
export function noteRead(readAtUs: number): void {
  if (windowUs === 0) return;
  const previousReadAtUs = lastReadAtUs;
  lastReadAtUs = readAtUs;
  if (turnScheduled) {
    readsThisTurn++;
    return;
  }
  // A read long after the previous one (and after the last wait) is a lone frame — a server ping, most
  // often — unless another read follows at once: that one (microseconds later) schedules the check. So a
  // lone frame costs no end-of-turn check (a setImmediate and its check phase: ~15–20 % of an idle worker's
  // samples in a perf profile here), and shouldWaitAfterTurn would not have waited after it anyway.
  const sinceUs = readAtUs - Math.max(previousReadAtUs, lastTurnEndUs);
  if (sinceUs >= TRICKLE_GAP_US) {
    readBatchingStats.loneReads++;
    return;
  }
  // This read continues a trickle. A lone read just before it (no check ran after it: it is later than the
  // last turn's end) counts with this turn, as the check would have counted it had it run for that turn.
  turnScheduled = true;
  readsThisTurn = previousReadAtUs > lastTurnEndUs ? 2 : 1;
  turnGapUs = sinceUs;
  // The check phase runs right after the poll phase that did these reads: the end of the turn.
  setImmediate(endOfTurn);
}

function endOfTurn(): void {
  turnScheduled = false;
  readBatchingStats.turns++;
  const wait = shouldWaitAfterTurn(readsThisTurn, turnGapUs);
  readsThisTurn = 0;
  if (wait) {
    Atomics.wait(sleeper, 0, 0, windowUs / 1000);
    readBatchingStats.waits++;
  }
  lastTurnEndUs = monoUs();
}
