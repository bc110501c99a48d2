import type { PushFlood } from './push-flood-schema.ts';

export interface SinkFaultProfile {
  deadFraction?: { fcm?: number; webpush?: number };
  windows?: {
    startSeconds: number;
    durationSeconds: number;
    provider?: 'fcm' | 'webpush' | 'all';
    status: number;
    probability?: number;
    retryAfterSeconds?: number;
  }[];
  [key: string]: unknown;
}

/**
 * The sink fault profile (harness/sut/push-sink/README.md, "Configuration" → faults) for a flood's variant:
 * - `429-storm`: every provider answers 429 (with Retry-After) to `probability` of requests inside the window;
 * - `503-outage`: every provider answers 503 (with Retry-After) inside the window;
 * - `dead-tokens`: `deadFraction` of minted tokens and subscriptions are dead (404 UNREGISTERED / 410 Gone).
 * Windows count from the moment the profile is applied (just before the enqueue phase).
 */
export function sinkFaultProfile(flood: PushFlood): SinkFaultProfile {
  if (typeof flood.sinkFaults === 'object') return flood.sinkFaults as SinkFaultProfile;
  const w = flood.faultWindow;
  const window = (status: number) => ({
    startSeconds: w.startS,
    durationSeconds: w.durationS,
    provider: 'all' as const,
    status,
    probability: w.probability,
    retryAfterSeconds: w.retryAfterS,
  });
  switch (flood.sinkFaults) {
    case 'none':
      return {};
    case '429-storm':
      return { windows: [window(429)] };
    case '503-outage':
      return { windows: [window(503)] };
    case 'dead-tokens':
      return { deadFraction: { fcm: flood.deadFraction, webpush: flood.deadFraction } };
  }
}
