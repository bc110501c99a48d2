/**
 * What late joiners owe. With `publishers.startAfter: 'ramp-start'` a subscriber owes, per stream, only the
 * messages INTENDED at or after the moment it became subscribed. Within a stream, intended times never
 * decrease with the sequence number (the publisher hands out sequence numbers in the order iterations
 * start, and an iteration's intended time is its schedule slot or its start), so "owed" is "q ≥ the first
 * sequence number intended at or after the subscription" — one number per (subscriber, stream).
 *
 * The publisher's ledger hands each stream's new intended times on with its progress once a second (8
 * bytes per message, once to each subscriber worker) and then forgets them; a subscriber worker keeps
 * them only until every subscription they could still decide is decided (its own subscriptions so far,
 * and anything later than now), so memory is about one or two seconds of messages, not the run's.
 */

/** Intended times (µs, run clock) of sequence numbers from, from + 1, … of one stream. */
export interface IntendedTail {
  from: number;
  times: number[];
}

interface StreamTimes {
  /** Sequence numbers ≤ base were forgotten (they cannot decide anything any more). */
  base: number;
  /** times[i] is the intended time of sequence number base + 1 + i; non-decreasing. */
  times: number[];
}

export class IntendedTimes {
  private readonly streams = new Map<string, StreamTimes>();

  private stream(id: string): StreamTimes {
    let s = this.streams.get(id);
    if (!s) {
      s = { base: 0, times: [] };
      this.streams.set(id, s);
    }
    return s;
  }

  /** Adds a publisher's tail; idempotent (a tail seen twice, or overlapping, is applied once). */
  append(stream: string, tail: IntendedTail): void {
    const s = this.stream(stream);
    const next = s.base + s.times.length + 1;
    if (tail.from > next) {
      throw new Error(`intended times of ${stream}: got ${tail.from}… while expecting ${next} (a tail went missing)`);
    }
    for (let i = next - tail.from; i < tail.times.length; i++) s.times.push(tail.times[i]!);
  }

  /** Highest sequence number of `stream` whose intended time is known. */
  known(stream: string): number {
    const s = this.streams.get(stream);
    return s ? s.base + s.times.length : 0;
  }

  /**
   * The first sequence number of `stream` intended at or after `us`; undefined while every known time is
   * earlier (the answer is a message not reported yet — or none, once the stream's record is final).
   */
  firstAtOrAfter(stream: string, us: number): number | undefined {
    const s = this.streams.get(stream);
    const last = s?.times.at(-1);
    if (!s || last === undefined || last < us) return undefined;
    let lo = 0;
    let hi = s.times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s.times[mid]! < us) lo = mid + 1;
      else hi = mid;
    }
    return s.base + lo + 1;
  }

  /** Forgets the times of `stream` intended before `us` (every question still to come is about later ones). */
  forgetBefore(stream: string, us: number): void {
    const s = this.streams.get(stream);
    if (!s) return;
    let drop = 0;
    while (drop < s.times.length && s.times[drop]! < us) drop++;
    if (!drop) return;
    s.times.splice(0, drop);
    s.base += drop;
  }

  /** Times held in memory, all streams (tests, diagnostics). */
  get size(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.times.length;
    return n;
  }

  streamIds(): IterableIterator<string> {
    return this.streams.keys();
  }
}
