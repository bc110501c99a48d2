/**
 * A subscriber worker's view of what was published, for live and final loss accounting: per stream, the
 * settled watermark over time (so "published at least `lostAfter` ago" can be looked up) and the failures
 * (whole messages, and per channel for the channels of this worker's subscribers).
 */
import type { StreamFinal, StreamProgress } from './publish-ledger.ts';
import type { SequenceTracker } from './sequence-tracker.ts';

interface StreamHistory {
  /** [atUs, settled] pairs, oldest first, trimmed to the loss window. */
  marks: Array<[number, number]>;
  failed: Set<number>;
  failedByChannel: Map<string, Set<number>>;
}

export class OwedStreams {
  private readonly streams = new Map<string, StreamHistory>();

  private stream(id: string): StreamHistory {
    let s = this.streams.get(id);
    if (!s) {
      s = { marks: [], failed: new Set(), failedByChannel: new Map() };
      this.streams.set(id, s);
    }
    return s;
  }

  /** Applies a publisher progress report taken at `atUs`; `keepUs` bounds how much history is kept. */
  applyProgress(atUs: number, progress: Record<string, StreamProgress>, keepUs: number): void {
    for (const [id, p] of Object.entries(progress)) {
      const s = this.stream(id);
      s.marks.push([atUs, p.settled]);
      // Keep one mark older than the window, so the watermark at (now - window) stays answerable.
      while (s.marks.length > 2 && s.marks[1]![0] < atUs - keepUs) s.marks.shift();
      for (const q of p.failed) s.failed.add(q);
      for (const [q, channel] of p.failedRecipients) this.failedFor(s, channel).add(q);
    }
  }

  /** Replaces everything with the final record (the authoritative one). */
  applyFinal(finals: Record<string, StreamFinal>, atUs: number): void {
    this.streams.clear();
    for (const [id, f] of Object.entries(finals)) {
      const s = this.stream(id);
      s.marks.push([atUs, f.published]);
      for (const q of f.failed) s.failed.add(q);
      for (const [q, channel] of f.failedRecipients) this.failedFor(s, channel).add(q);
    }
  }

  private failedFor(s: StreamHistory, channel: string): Set<number> {
    let set = s.failedByChannel.get(channel);
    if (!set) {
      set = new Set();
      s.failedByChannel.set(channel, set);
    }
    return set;
  }

  /** The settled watermark of `stream` as it was at `atUs` (0 when nothing had settled by then). */
  watermarkAt(stream: string, atUs: number): number {
    const s = this.streams.get(stream);
    if (!s) return 0;
    let w = 0;
    for (const [at, settled] of s.marks) {
      if (at > atUs) break;
      w = settled;
    }
    return w;
  }

  /** The latest watermark of `stream`. */
  watermark(stream: string): number {
    const marks = this.streams.get(stream)?.marks;
    return marks?.length ? marks[marks.length - 1]![1] : 0;
  }

  /**
   * For one subscriber's tracker of `stream` (listening on `channel`), the messages `from`..`w` it owes
   * (`from` > 1 for a subscriber that joined while publishing ran, see intended-times.ts):
   * expected = accepted messages owed; delivered = accepted messages received;
   * unaccepted = received messages that were not accepted (failed calls that got through anyway).
   */
  account(
    stream: string,
    channel: string,
    tracker: SequenceTracker | undefined,
    w: number,
    from = 1,
  ): { expected: number; delivered: number; unaccepted: number } {
    if (from > w) return { expected: 0, delivered: 0, unaccepted: 0 };
    const s = this.streams.get(stream);
    const received = tracker ? tracker.receivedUpTo(w) - (from > 1 ? tracker.receivedUpTo(from - 1) : 0) : 0;
    const owed = w - from + 1;
    if (!s) return { expected: owed, delivered: received, unaccepted: 0 };
    let notOwed = 0;
    let receivedNotOwed = 0;
    const count = (q: number) => {
      if (q > w || q < from) return;
      notOwed++;
      if (tracker?.has(q)) receivedNotOwed++;
    };
    for (const q of s.failed) count(q);
    const forChannel = s.failedByChannel.get(channel);
    if (forChannel) for (const q of forChannel) if (!s.failed.has(q)) count(q);
    return { expected: owed - notOwed, delivered: received - receivedNotOwed, unaccepted: receivedNotOwed };
  }
}
