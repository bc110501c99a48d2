/**
 * Token buckets for the FCM limits (push.md §1.7): the project quota (owned by the primary process, leased to
 * workers in batches) and the per-device limits (per worker). A bucket refills continuously, so its
 * "minute" is not aligned to the clock.
 */
export class TokenBucket {
  tokens: number;
  private lastUs: number;

  constructor(
    readonly capacity: number,
    /** Tokens added per second. */
    readonly ratePerSecond: number,
    nowUs: number,
  ) {
    this.tokens = capacity;
    this.lastUs = nowUs;
  }

  refill(nowUs: number): void {
    if (nowUs > this.lastUs) {
      this.tokens = Math.min(this.capacity, this.tokens + ((nowUs - this.lastUs) / 1e6) * this.ratePerSecond);
      this.lastUs = nowUs;
    }
  }

  /** Takes up to `want` whole tokens; returns how many it took. */
  take(want: number, nowUs: number): number {
    this.refill(nowUs);
    const granted = Math.min(want, Math.floor(this.tokens));
    this.tokens -= granted;
    return granted;
  }

  give(n: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + n);
  }

  /** Milliseconds until `n` whole tokens are available. */
  msUntil(n: number, nowUs: number): number {
    this.refill(nowUs);
    const missing = n - this.tokens;
    return missing <= 0 ? 0 : (missing / this.ratePerSecond) * 1000;
  }

  reset(nowUs: number): void {
    this.tokens = this.capacity;
    this.lastUs = nowUs;
  }
}

/** The project quota as the primary process keeps it: one bucket, leased to workers in batches. */
export class ProjectQuota {
  readonly bucket: TokenBucket;

  constructor(
    readonly perMinute: number,
    nowUs: number,
  ) {
    this.bucket = new TokenBucket(perMinute, perMinute / 60, nowUs);
  }

  lease(want: number, nowUs: number): { granted: number; retryAfterMs: number } {
    const granted = this.bucket.take(want, nowUs);
    return { granted, retryAfterMs: granted > 0 ? 0 : this.bucket.msUntil(1, nowUs) };
  }
}

/** How many quota tokens a worker leases at once: small enough that unused leases barely matter. */
export function leaseSize(perMinute: number, workers: number): number {
  return Math.max(1, Math.min(500, Math.floor(perMinute / (8 * workers))));
}

/**
 * A worker's view of the project quota: spends leased tokens synchronously, asks the primary for more when
 * they run out (one request in flight at a time; concurrent requests wait for it).
 */
export class QuotaLease {
  private local = 0;
  private pending: Promise<{ granted: number; retryAfterMs: number }> | undefined;
  throttled = 0;

  constructor(
    private readonly batch: number,
    private readonly requestLease: (want: number) => Promise<{ granted: number; retryAfterMs: number }>,
  ) {}

  /** `true` when a token was spent at once; otherwise a promise of the outcome (retryAfterMs when refused). */
  take(): true | Promise<{ ok: boolean; retryAfterMs: number }> {
    if (this.local > 0) {
      this.local--;
      // Ask for the next batch before this one runs out, so a busy worker never waits for the primary.
      if (this.local * 2 < this.batch && !this.pending && this.batch > 1) this.prefetch();
      return true;
    }
    return this.takeSlow();
  }

  private prefetch(): void {
    this.pending = this.requestLease(this.batch).finally(() => {
      this.pending = undefined;
    });
    void this.pending.then((result) => {
      this.local += result.granted;
    });
  }

  private async takeSlow(): Promise<{ ok: boolean; retryAfterMs: number }> {
    for (;;) {
      if (this.local > 0) {
        this.local--;
        return { ok: true, retryAfterMs: 0 };
      }
      if (!this.pending) {
        this.pending = this.requestLease(this.batch).finally(() => {
          this.pending = undefined;
        });
        const result = await this.pending;
        this.local += result.granted;
        if (result.granted === 0) {
          this.throttled++;
          return { ok: false, retryAfterMs: result.retryAfterMs };
        }
      } else {
        const result = await this.pending;
        if (result.granted === 0 && this.local === 0) {
          this.throttled++;
          return { ok: false, retryAfterMs: result.retryAfterMs };
        }
      }
    }
  }

  refund(): void {
    this.local++;
  }

  /** Forget leased tokens (after a reset of the primary's bucket). */
  clear(): void {
    this.local = 0;
  }
}

/** What `hit` answers when a message passes: one shared object, nothing allocated per message. */
const PASSED: { ok: true } = Object.freeze({ ok: true as const });

/**
 * Per-device limits (240/min, 5,000/h by default) as two leaky buckets per device. Entries of devices whose
 * buckets have drained are swept, so memory follows the devices hit recently, not every device ever hit.
 */
export class DeviceLimiter {
  /**
   * Device index → slot in the columns below. The levels live in Float64Arrays, not one object per device:
   * under the million-push flood (100,000 devices, each seen again seconds later and swept in between) an
   * object per device with three boxed doubles was garbage that survived young-generation collections
   * (issue 17: the sink's GC). A Map of small integers to small integers holds no heap objects per entry.
   */
  private readonly slots = new Map<number, number>();
  private minute = new Float64Array(1024);
  private hour = new Float64Array(1024);
  private lastUs = new Float64Array(1024);
  /** Slots freed by sweep, reused before the columns grow. */
  private free: number[] = [];
  private used = 0;
  private readonly minuteRate: number;
  private readonly hourRate: number;

  constructor(
    readonly perMinute: number,
    readonly perHour: number,
  ) {
    this.minuteRate = perMinute / 60;
    this.hourRate = perHour / 3600;
  }

  private slotFor(device: number, nowUs: number): number {
    let slot = this.slots.get(device);
    if (slot === undefined) {
      slot = this.free.pop();
      if (slot === undefined) {
        slot = this.used++;
        if (slot >= this.minute.length) this.grow();
      }
      this.minute[slot] = 0;
      this.hour[slot] = 0;
      this.lastUs[slot] = nowUs;
      this.slots.set(device, slot);
    }
    return slot;
  }

  private grow(): void {
    const size = this.minute.length * 2;
    const grown = (from: Float64Array) => {
      const to = new Float64Array(size);
      to.set(from);
      return to;
    };
    this.minute = grown(this.minute);
    this.hour = grown(this.hour);
    this.lastUs = grown(this.lastUs);
  }

  /** Counts one message for `device`, or answers the seconds to wait when a limit is reached. */
  hit(device: number, nowUs: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const slot = this.slotFor(device, nowUs);
    const elapsed = Math.max(0, (nowUs - (this.lastUs[slot] as number)) / 1e6);
    const minute = Math.max(0, (this.minute[slot] as number) - elapsed * this.minuteRate);
    const hour = Math.max(0, (this.hour[slot] as number) - elapsed * this.hourRate);
    this.minute[slot] = minute;
    this.hour[slot] = hour;
    this.lastUs[slot] = nowUs;
    if (minute + 1 > this.perMinute) {
      return { ok: false, retryAfterSeconds: Math.ceil((minute + 1 - this.perMinute) / this.minuteRate) };
    }
    if (hour + 1 > this.perHour) {
      return { ok: false, retryAfterSeconds: Math.ceil((hour + 1 - this.perHour) / this.hourRate) };
    }
    this.minute[slot] = minute + 1;
    this.hour[slot] = hour + 1;
    return PASSED;
  }

  sweep(nowUs: number): void {
    for (const [device, slot] of this.slots) {
      const elapsed = (nowUs - (this.lastUs[slot] as number)) / 1e6;
      if (
        (this.hour[slot] as number) - elapsed * this.hourRate <= 0 &&
        (this.minute[slot] as number) - elapsed * this.minuteRate <= 0
      ) {
        this.slots.delete(device);
        this.free.push(slot);
      }
    }
  }

  get size(): number {
    return this.slots.size;
  }

  clear(): void {
    this.slots.clear();
    this.free = [];
    this.used = 0;
  }
}
