import type { KeyObject } from 'node:crypto';
import type { AccessTokenChecker } from './access-tokens.ts';
import type { SinkConfig } from './config.ts';
import type { TokenVerdict } from './device-tokens.ts';
import type { FaultEngine } from './faults.ts';
import type { DeviceLimiter, QuotaLease } from './rate-limits.ts';
import type { ReceiptWriter } from './receipts.ts';
import type { WorkerStats } from './stats.ts';
import type { SubscriptionVerdict, UserAgentKeys } from './subscriptions.ts';
import type { VapidVerifier } from './vapid.ts';

/** Everything a worker's request handlers share. One per worker process. */
export interface SinkContext {
  config: SinkConfig;
  worker: number;
  /** `https://127.0.0.1:<port>`: the origin of every endpoint, the only acceptable VAPID `aud`. */
  origin: string;
  /** seedKey(seed): validates tokens and subscriptions, derives user agent keys. */
  key: Buffer;
  authKey: Buffer;
  projectId: string;
  projectNumber: string;
  projectTag: Buffer;
  serviceAccount: { clientEmail: string; publicKey: KeyObject; keyId: string };
  faults: FaultEngine;
  stats: WorkerStats;
  receipts: ReceiptWriter | undefined;
  quota: QuotaLease;
  devices: DeviceLimiter | undefined;
  vapid: VapidVerifier;
  accessTokens: AccessTokenChecker;
  userAgentKeys(index: number): UserAgentKeys;
  /** verifyFcmToken / verifySubscriptionId, cached per string: senders hit the same devices again and again. */
  fcmTokenVerdict(token: string): TokenVerdict;
  subscriptionVerdict(id: string): SubscriptionVerdict;
  nextReceiptId(): string;
}
