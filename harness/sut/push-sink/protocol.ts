import type { FaultProfile, SinkConfig } from './config.ts';
import type { WorkerSnapshot } from './stats.ts';

/**
 * Messages between the primary process (owner of the quota bucket, the fault profile and the files) and its
 * workers (which serve HTTP), over node:cluster IPC. Requests carry an id; replies echo it.
 */
export interface WorkerInit {
  config: SinkConfig;
  seed: string;
  /** Keys the sink's access tokens; never leaves the sink. */
  authKey: string;
  tls: { key: string; cert: string };
  serviceAccount: { clientEmail: string; publicKeyPem: string; keyId: string };
  projectNumber: string;
  receiptsDir: string;
  faults: { profile: FaultProfile; appliedAtUs: number };
  leaseSize: number;
}

export type ToWorker =
  | { type: 'init'; init: WorkerInit }
  | { type: 'lease-reply'; id: number; granted: number; retryAfterMs: number }
  | { type: 'snapshot'; id: number }
  | { type: 'flush'; id: number }
  | { type: 'faults'; profile: FaultProfile; appliedAtUs: number }
  | { type: 'reset' }
  | { type: 'reply'; id: number; status: number; body: unknown }
  | { type: 'shutdown' };

/** A control request a worker forwards to the primary (everything that needs every worker or the files). */
export type ControlCall =
  | { op: 'stats' }
  | { op: 'reset' }
  | { op: 'receipts'; pushIds: string[] }
  | { op: 'dead-hits'; limit: number }
  | { op: 'get-faults' }
  | { op: 'set-faults'; body: unknown; merge: boolean }
  | { op: 'info' };

export type ToPrimary =
  | { type: 'ready' }
  | { type: 'listening'; port: number }
  | { type: 'lease'; id: number; want: number }
  | { type: 'snapshot-reply'; id: number; snapshot: WorkerSnapshot }
  | { type: 'flush-reply'; id: number }
  | { type: 'control'; id: number; call: ControlCall };
