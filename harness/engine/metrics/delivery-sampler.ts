/**
 * Raw per-message rows, only when asked for and then sampled (DESIGN §4).
 *
 * Which deliveries: a (subscriber, stream, seq) triple is sampled when a hash of it falls below the
 * rate — deterministic, so the same configuration samples the same deliveries run after run (a baseline
 * and a candidate are compared on the same messages), spread evenly over time, subscribers and nodes, and
 * checkable: the expected rows of a run are computable from what was delivered (`isSampled`).
 * The hash: FNV-1a (32 bit) of `<stream>\n<subscriber>`, computed once per (subscriber, stream), mixed
 * with the seq by murmur3's 32-bit finalizer; sampled when (mix / 2^32) < rate.
 *
 * How many: at most `maxPerSecond` rows per worker per second. Past it, the second keeps a uniform
 * random sample of its sampled deliveries (reservoir sampling) and counts the others as dropped.
 */

/** FNV-1a 32-bit of `<stream>\n<subscriber>`: the per-(subscriber, stream) part of the sampling hash. */
export function sampleKey(stream: string, subscriber: string): number {
  let h = 0x811c9dc5;
  const text = `${stream}\n${subscriber}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Whether delivery `seq` of the (subscriber, stream) with `key` is sampled at `rate` (0..1). */
export function isSampled(key: number, seq: number, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  let h = (key ^ Math.imul(seq, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000 < rate;
}

/** One second's rows, bounded: a uniform sample of what was offered when more than `max` were. */
export class SecondReservoir<T> {
  private rows: T[] = [];
  private offered = 0;

  constructor(
    private readonly max: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Offers a row (built only when kept): a row is kept with probability max / offered (algorithm R). */
  offer(build: () => T): void {
    this.offered++;
    if (this.rows.length < this.max) {
      this.rows.push(build());
      return;
    }
    const slot = Math.floor(this.random() * this.offered);
    if (slot < this.max) this.rows[slot] = build();
  }

  /** The second's rows and how many sampled deliveries did not fit; starts the next second. */
  take(): { rows: T[]; dropped: number } {
    const out = { rows: this.rows, dropped: this.offered - this.rows.length };
    this.rows = [];
    this.offered = 0;
    return out;
  }
}
