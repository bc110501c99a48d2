/**
 * The publisher's record of every stream: the next sequence number to hand out, which messages have
 * settled (an outcome is known), and which failed — wholly (no recipient got it) or for some recipients
 * (a broadcast channel that answered with an error). Subscribers are owed exactly the accepted messages, so
 * these failures are what make `messages_expected` exact rather than "published × subscribers".
 */
import type { IntendedTail } from './intended-times.ts';
import { SequenceTracker } from './sequence-tracker.ts';

/** What a stream's publisher reports: cumulative watermark, failures since the last report. */
export interface StreamProgress {
  /** Every q ≤ settled has an outcome (accepted or failed). */
  settled: number;
  /** Messages nobody was sent (the call failed or was interrupted). */
  failed: number[];
  /** Messages some recipients were not sent: [q, channel]. */
  failedRecipients: Array<[number, string]>;
  /** Intended times of the sequence numbers handed out since the last report (only when recorded). */
  intended?: IntendedTail;
}

/** The stream at the end: everything published, every failure. */
export interface StreamFinal {
  /** Highest sequence number handed out (1..published were sent or attempted). */
  published: number;
  failed: number[];
  failedRecipients: Array<[number, string]>;
  /** Intended times not reported in a progress yet (only when recorded). */
  intended?: IntendedTail;
}

class StreamState {
  next = 0;
  readonly settled = new SequenceTracker();
  readonly failed: number[] = [];
  readonly failedRecipients: Array<[number, string]> = [];
  reportedFailed = 0;
  reportedFailedRecipients = 0;
  /** Intended times of sequence numbers from `intendedFrom` on, not reported yet. */
  intended: number[] = [];
  intendedFrom = 1;
}

export class PublishLedger {
  private readonly streams = new Map<string, StreamState>();

  /**
   * `recordIntended`: also hand on each message's intended time, so that subscribers joining while
   * publishing runs owe only what was intended after they subscribed (intended-times.ts). Kept until the
   * next report only: 8 bytes per message for about a second.
   */
  constructor(private readonly options: { recordIntended?: boolean } = {}) {}

  private state(stream: string): StreamState {
    let state = this.streams.get(stream);
    if (!state) {
      state = new StreamState();
      this.streams.set(stream, state);
    }
    return state;
  }

  /** Hands out the next sequence number of `stream` (1, 2, 3, …), intended at `intendedUs`. */
  nextSeq(stream: string, intendedUs = 0): number {
    const state = this.state(stream);
    if (this.options.recordIntended) state.intended.push(intendedUs);
    return ++state.next;
  }

  accepted(stream: string, q: number, failedRecipients: readonly string[] = []): void {
    const state = this.state(stream);
    state.settled.record(q);
    for (const channel of failedRecipients) state.failedRecipients.push([q, channel]);
  }

  failed(stream: string, q: number): void {
    const state = this.state(stream);
    state.settled.record(q);
    state.failed.push(q);
  }

  /** Failures since the previous call, and each stream's settled watermark. */
  progress(): Record<string, StreamProgress> {
    const out: Record<string, StreamProgress> = {};
    for (const [stream, state] of this.streams) {
      out[stream] = {
        settled: contiguousSettled(state),
        failed: state.failed.slice(state.reportedFailed),
        failedRecipients: state.failedRecipients.slice(state.reportedFailedRecipients),
        ...this.intendedTail(state),
      };
      state.reportedFailed = state.failed.length;
      state.reportedFailedRecipients = state.failedRecipients.length;
      state.intendedFrom = state.next + 1;
      state.intended = [];
    }
    return out;
  }

  private intendedTail(state: StreamState): { intended?: IntendedTail } {
    return this.options.recordIntended ? { intended: { from: state.intendedFrom, times: state.intended } } : {};
  }

  /**
   * Every stream as it ends. Messages handed out but never settled (interrupted at gracefulStop or by an
   * abort) are counted as failed: their fate is unknown, so nobody is owed them, and if they arrive anyway
   * they are reported as deliveries of unaccepted messages rather than hiding a loss.
   */
  final(): Record<string, StreamFinal> {
    const out: Record<string, StreamFinal> = {};
    for (const [stream, state] of this.streams) {
      const failed = [...state.failed];
      for (const [from, to] of state.settled.gaps(state.next)) {
        for (let q = from; q <= to; q++) failed.push(q);
      }
      out[stream] = {
        published: state.next,
        failed,
        failedRecipients: [...state.failedRecipients],
        ...this.intendedTail(state),
      };
    }
    return out;
  }

  /** Messages handed out and not yet settled. */
  inFlight(): number {
    let count = 0;
    for (const state of this.streams.values()) count += state.next - state.settled.received;
    return count;
  }
}

/** The highest q with every 1..q settled. */
function contiguousSettled(state: StreamState): number {
  const { settled } = state;
  if (settled.received === settled.max) return settled.max;
  const gaps = settled.gaps(settled.max);
  return gaps.length ? gaps[0]![0] - 1 : settled.max;
}
