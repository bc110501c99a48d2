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

interface DeviceLevel {
  minute: number;
  hour: number;
  lastUs: number;
}

/**
 * Per-device limits (240/min, 5,000/h by default) as two leaky buckets per device. Entries of devices whose
 * buckets have drained are swept, so memory follows the devices hit recently, not every device ever hit.
 */
export class DeviceLimiter {
  private readonly levels = new Map<number, DeviceLevel>();
  private readonly minuteRate: number;
  private readonly hourRate: number;

  constructor(
    readonly perMinute: number,
    readonly perHour: number,
  ) {
    this.minuteRate = perMinute / 60;
    this.hourRate = perHour / 3600;
  }

  /** Counts one message for `device`, or answers the seconds to wait when a limit is reached. */
  hit(device: number, nowUs: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    let level = this.levels.get(device);
    if (!level) {
      level = { minute: 0, hour: 0, lastUs: nowUs };
      this.levels.set(device, level);
    }
    const elapsed = Math.max(0, (nowUs - level.lastUs) / 1e6);
    level.minute = Math.max(0, level.minute - elapsed * this.minuteRate);
    level.hour = Math.max(0, level.hour - elapsed * this.hourRate);
    level.lastUs = nowUs;
    if (level.minute + 1 > this.perMinute) {
      return { ok: false, retryAfterSeconds: Math.ceil((level.minute + 1 - this.perMinute) / this.minuteRate) };
    }
    if (level.hour + 1 > this.perHour) {
      return { ok: false, retryAfterSeconds: Math.ceil((level.hour + 1 - this.perHour) / this.hourRate) };
    }
    level.minute++;
    level.hour++;
    return { ok: true };
  }

  sweep(nowUs: number): void {
    for (const [device, level] of this.levels) {
      const elapsed = (nowUs - level.lastUs) / 1e6;
      if (level.hour - elapsed * this.hourRate <= 0 && level.minute - elapsed * this.minuteRate <= 0) {
        this.levels.delete(device);
      }
    }
  }

  get size(): number {
    return this.levels.size;
  }

  clear(): void {
    this.levels.clear();
  }
}
