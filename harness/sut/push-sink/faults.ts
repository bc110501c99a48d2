import { createHash } from 'node:crypto';
import type { FaultProfile, Latency } from './config.ts';

export type Provider = 'fcm' | 'webpush';
export type Route = Provider | 'token';

/** sfc32: a small, fast, seedable PRNG, so latency and error draws are reproducible in distribution. */
export function seededRandom(seed: string): () => number {
  const h = createHash('sha256').update(seed).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

const Z99 = 2.3263478740408408; // standard normal quantile at 0.99

/** Log-normal with the given median and p99; rare stalls drawn uniformly from `stallMs`. */
export function drawLatencyMs(latency: Latency, random: () => number): number {
  if (latency.stallProbability > 0 && random() < latency.stallProbability) {
    const [min, max] = latency.stallMs;
    return min + (max - min) * random();
  }
  if (latency.p50Ms <= 0) return 0;
  const sigma = latency.p99Ms > latency.p50Ms ? Math.log(latency.p99Ms / latency.p50Ms) / Z99 : 0;
  // Box–Muller; 1 - u keeps the logarithm finite.
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return latency.p50Ms * Math.exp(sigma * z);
}

export interface InjectedFault {
  status: number;
  retryAfterSeconds: number | undefined;
  cause: 'window' | 'mix';
}

/**
 * The fault profile in force in one worker: latency and error draws from a PRNG seeded by (profile seed,
 * worker), and timeline windows counted from `appliedAtUs` (CLOCK_MONOTONIC), the instant the profile was set.
 */
export class FaultEngine {
  private random: () => number;

  constructor(
    public profile: FaultProfile,
    public appliedAtUs: number,
    private readonly defaultSeed: string,
    private readonly worker: number,
  ) {
    this.random = seededRandom(`${profile.seed ?? defaultSeed}/${worker}`);
  }

  update(profile: FaultProfile, appliedAtUs: number): void {
    this.profile = profile;
    this.appliedAtUs = appliedAtUs;
    this.random = seededRandom(`${profile.seed ?? this.defaultSeed}/${this.worker}/${appliedAtUs}`);
  }

  delayMs(route: Route): number {
    const latency = this.profile.latency[route];
    return latency ? drawLatencyMs(latency, this.random) : 0;
  }

  deadFraction(provider: Provider): number {
    return this.profile.deadFraction[provider];
  }

  /** A 429/5xx (or FCM 401) to answer instead of processing, from an active window or the error mix. */
  inject(provider: Provider, nowUs: number): InjectedFault | undefined {
    const { windows, errors, retryAfterSeconds } = this.profile;
    if (windows.length > 0) {
      const t = (nowUs - this.appliedAtUs) / 1e6;
      for (const w of windows) {
        if (t < w.startSeconds || t >= w.startSeconds + w.durationSeconds) continue;
        if (w.provider !== 'all' && w.provider !== provider) continue;
        if (w.probability >= 1 || this.random() < w.probability) {
          return {
            status: w.status,
            retryAfterSeconds: w.retryAfterSeconds ?? retryAfterFor(w.status, retryAfterSeconds),
            cause: 'window',
          };
        }
      }
    }
    const mix = errors[provider] as Record<string, number | undefined> | undefined;
    if (!mix) return undefined;
    let draw = this.random();
    for (const status in mix) {
      const p = mix[status] ?? 0;
      if (draw < p) {
        const code = Number(status);
        return { status: code, retryAfterSeconds: retryAfterFor(code, retryAfterSeconds), cause: 'mix' };
      }
      draw -= p;
    }
    return undefined;
  }

  /** For sampled work (Web Push decryption). */
  chance(probability: number): boolean {
    return probability >= 1 || (probability > 0 && this.random() < probability);
  }
}

function retryAfterFor(status: number, table: FaultProfile['retryAfterSeconds']): number | undefined {
  if (status === 429) return table['429'];
  if (status === 503) return table['503'];
  return undefined;
}
