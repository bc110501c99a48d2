/**
 * Which sequence numbers of one stream one subscriber has received, in O(small) memory: the received set as
 * sorted disjoint ranges [from, to]. In a healthy run that is a single range [1, n] — a receipt extends it in
 * O(1); out-of-order receipts open a second range until the gap fills. Memory grows only with the number
 * of distinct gaps, never with the number of messages.
 *
 * Loss is not guessed here: `receivedUpTo(w)` lets the caller compare against what was published (live:
 * against what was published at least `lostAfter` ago — a gap that later fills simply stops counting;
 * final: against exactly what was accepted, see ../accounting/final-accounting.ts).
 */
export type Receipt = 'new' | 'new-reordered' | 'duplicate';

export class SequenceTracker {
  /** Flat [from0, to0, from1, to1, …], sorted, disjoint, non-adjacent. */
  private ranges: number[] = [];
  /** Distinct sequence numbers received. */
  received = 0;
  /** Highest sequence number received. */
  max = 0;

  record(q: number): Receipt {
    const r = this.ranges;
    const n = r.length;
    // Fast path: the next number after the last range (the in-order case).
    if (n > 0 && q === r[n - 1]! + 1) {
      r[n - 1] = q;
      this.received++;
      this.max = q;
      return 'new';
    }
    if (n === 0 || q > r[n - 1]! + 1) {
      r.push(q, q);
      this.received++;
      const reordered = q < this.max;
      if (q > this.max) this.max = q;
      return reordered ? 'new-reordered' : 'new';
    }
    // Find the first range whose end ≥ q - 1 (binary search over range ends).
    let lo = 0;
    let hi = n / 2 - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid * 2 + 1]! < q - 1) lo = mid + 1;
      else hi = mid;
    }
    const i = lo * 2;
    const from = r[i]!;
    const to = r[i + 1]!;
    if (q >= from && q <= to) return 'duplicate';
    this.received++;
    if (q === to + 1) {
      // Extends range i upwards; merges with the next one if the gap closes.
      if (i + 2 < n && r[i + 2] === q + 1) {
        r[i + 1] = r[i + 3]!;
        r.splice(i + 2, 2);
      } else r[i + 1] = q;
    } else if (q === from - 1) {
      r[i] = q;
    } else {
      // q < from - 1: a new range before range i.
      r.splice(i, 0, q, q);
    }
    return q < this.max ? 'new-reordered' : 'new';
  }

  has(q: number): boolean {
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) {
      if (q < r[i]!) return false;
      if (q <= r[i + 1]!) return true;
    }
    return false;
  }

  /** How many distinct numbers ≤ w were received. */
  receivedUpTo(w: number): number {
    if (w >= this.max) return this.received;
    const r = this.ranges;
    let count = 0;
    for (let i = 0; i < r.length; i += 2) {
      const from = r[i]!;
      if (from > w) break;
      count += Math.min(r[i + 1]!, w) - from + 1;
    }
    return count;
  }

  /** Number of ranges (1 when nothing is missing below `max`): a measure of the tracker's memory. */
  get rangeCount(): number {
    return this.ranges.length / 2;
  }

  /** The missing numbers in [1, w] as ranges (for diagnostics and tests). */
  gaps(w: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let next = 1;
    const r = this.ranges;
    for (let i = 0; i < r.length && next <= w; i += 2) {
      if (r[i]! > next) out.push([next, Math.min(r[i]! - 1, w)]);
      next = r[i + 1]! + 1;
    }
    if (next <= w) out.push([next, w]);
    return out;
  }
}
