/**
 * The protocol between the engine (parent) and its worker processes, both kinds, as discriminated unions
 * on `type`. Messages travel over the fork() IPC channel (structured clone); secrets (HMAC secret, API key)
 * travel only here — never in argv, environment or logs.
 *
 * Lifecycle:  parent                          worker
 *             init ─────────────────────────▶ (mint tokens / create target)
 *                  ◀───────────────────────── ready
 *             connect | start ──────────────▶ (ramp connections | run the executor)
 *             tick(seq) every second ───────▶
 *                  ◀───────────────────────── snapshot(seq)   (metrics of the second)
 *             progress (to subscribers) ────▶ (what was published, for live loss)
 *                  ◀───────────────────────── done            (publisher: every stream's final record)
 *             account (to subscribers) ─────▶
 *                  ◀───────────────────────── accounted       (exact per-subscriber totals)
 *             close ────────────────────────▶ closes sockets, exits
 */
import type { DeliverySample } from '../common/summary-types.ts';
import type { StreamFinal, StreamProgress } from './accounting/publish-ledger.ts';
import type { ProcessSample } from './metrics/process-monitor.ts';
import type { MetricsSnapshot } from './metrics/recorder.ts';
import type { AudienceMember, TargetContext } from './targets/publish-target.ts';
import type { PublishersConfig } from './workload.ts';

/** How one subscriber worker ramps its share of the fleet. */
export type ConnectRamp =
  | { kind: 'rate'; perSecond: number }
  | { kind: 'stages'; stages: Array<{ durationMs: number; target: number }> };

export interface SubscriberWorkerConfig {
  workerId: string;
  members: AudienceMember[];
  /** Fleet-wide index of members[0]: member i connects to wsUrls[(firstIndex + i) % wsUrls.length]. */
  firstIndex: number;
  wsUrls: string[];
  hmacSecret: string;
  ramp: ConnectRamp;
  connectTimeoutMs: number;
  reconnect: { enabled: boolean; minDelayMs: number; maxDelayMs: number };
  lostAfterMs: number;
  socketsPerSourceAddress: number;
  clientName: string;
  /** Centrifugo's client protocol (workload.subscribers.protocol); absent: 'json'. */
  protocol?: 'json' | 'protobuf';
  /** The built native socket reader (protocol/socket-reader/build.ts); absent: Node's own socket reads. */
  nativeSocketReaderPath?: string;
  /** workload.subscribers.readBatchWindow in µs (protocol/read-batching.ts); absent: 0, off. */
  readBatchWindowUs?: number;
  /** Node names, aligned with wsUrls (for sampled rows). */
  nodeNames: string[];
  /**
   * What a subscriber owes: 'start' — every message (publishing waits for the fleet); 'subscription' —
   * messages intended at or after it first became subscribed (publishing runs during the ramp).
   */
  owedFrom: 'start' | 'subscription';
  /** Sampled delivery rows (absent: none). */
  samples?: SubscriberSamplesConfig;
  /** A shard of a distributed run: added to CLOCK_MONOTONIC to get the coordinator's time base (absent: 0). */
  clockOffsetUs?: number;
}

export interface SubscriberSamplesConfig {
  rate: number;
  /** Rows this worker keeps per second at most (its share of the fleet-wide bound). */
  maxPerSecond: number;
  runId: string;
  /** Added to run-clock µs to get µs since the Unix epoch (one value for every worker). */
  epochOffsetUs: number;
  /** This worker's number (subscribers-<n>). */
  worker: number;
}

export interface SubscriberAccounting {
  /** Deliveries owed (accepted messages × subscribers owing their stream). */
  expected: number;
  /** Owed deliveries received (first receipts of accepted messages). */
  delivered: number;
  /** Received messages whose publish failed or was interrupted (not owed). */
  unaccepted: number;
  /** Received messages of a stream the subscriber does not owe. */
  unowed: number;
  /** Received messages intended before the subscriber became subscribed (owedFrom 'subscription'): not owed. */
  beforeSubscription: number;
  /** Subscribers that dialled and never became subscribed (owedFrom 'subscription': they owe nothing). */
  neverSubscribed: number;
}

/** Nothing counted yet: the start of a worker's or the fleet's totals. */
export function emptyAccounting(): SubscriberAccounting {
  return { expected: 0, delivered: 0, unaccepted: 0, unowed: 0, beforeSubscription: 0, neverSubscribed: 0 };
}

export interface TickMessage {
  type: 'tick';
  seq: number;
}

export type ParentToSubscriber =
  | { type: 'init'; config: SubscriberWorkerConfig }
  | { type: 'connect' }
  | TickMessage
  | { type: 'progress'; atUs: number; streams: Record<string, StreamProgress> }
  | { type: 'account'; atUs: number; streams: Record<string, StreamFinal> }
  | { type: 'close' };

export interface SubscriberSnapshot {
  type: 'snapshot';
  seq: number;
  metrics: MetricsSnapshot;
  process: ProcessSample;
  connected: number;
  target: number;
  /** Owed messages up to the latest settled watermark not received yet (0 = caught up). */
  missing: number;
  /** Sampled deliveries of the second (when sampling), and how many did not fit the per-second bound. */
  samples?: DeliverySample[];
  samplesDropped?: number;
}

export type SubscriberToParent =
  | { type: 'ready' }
  | SubscriberSnapshot
  | { type: 'accounted'; result: SubscriberAccounting }
  | { type: 'fatal'; message: string };

export interface PublisherWorkerConfig {
  workerId: string;
  publishers: PublishersConfig;
  /** Hand on every message's intended time with the progress (subscribers joining while publishing). */
  recordIntended: boolean;
  target: { name: string; context: TargetContext };
  /** A shard of a distributed run: added to the intended time stamped in each marker (coordinator's base). */
  clockOffsetUs?: number;
}

export type ParentToPublisher =
  | { type: 'init'; config: PublisherWorkerConfig }
  | { type: 'start' }
  | TickMessage
  | { type: 'stop' }
  | { type: 'close' };

export interface PublisherSnapshot {
  type: 'snapshot';
  seq: number;
  metrics: MetricsSnapshot;
  process: ProcessSample;
  atUs: number;
  streams: Record<string, StreamProgress>;
  inFlight: number;
}

export type PublisherToParent =
  | { type: 'ready' }
  | PublisherSnapshot
  | { type: 'done'; atUs: number; streams: Record<string, StreamFinal> }
  | { type: 'fatal'; message: string };

export type WorkerOutbound = SubscriberToParent | PublisherToParent;
