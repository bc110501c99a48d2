/**
 * The seam between publishers and the thing they publish through. The engine's own targets publish
 * through Centrifugo's HTTP API; the chat app (broadcast modes) plugs in here as one more target.
 *
 * Every message carries a bench marker so a subscriber can account for it wherever it came from:
 * publication data (the JSON a subscriber receives) has a top-level `bench` object:
 *   { "bench": { "s": "<stream id>", "q": <sequence number in that stream, from 1>, "t": <intended send time, µs> }, … }
 * `t` is on the run's clock: CLOCK_MONOTONIC microseconds (`process.hrtime.bigint() / 1000n`), shared by
 * every process on one host. A target must carry the marker through unchanged (the chat app copies it
 * from the POST body into the broadcast data).
 */

export interface BenchMarker {
  /** Stream id: which sequence this message belongs to (a room, a channel, "broadcast"). */
  s: string;
  /** Sequence number within the stream, 1, 2, 3, … without gaps as published. */
  q: number;
  /** Intended send time, µs on the run's clock: latency is measured from here (coordinated-omission safe). */
  t: number;
}

export interface OutgoingMessage {
  marker: BenchMarker;
  /** Extra payload bytes (padding) to reach the scenario's message size. */
  padding: string;
}

/** The publication data every engine target sends: the bench marker plus padding to the payload size. */
export function publicationData(marker: BenchMarker, padding: string): string {
  return `{"bench":${JSON.stringify(marker)},"pad":"${padding}"}`;
}

/** Bytes of `publicationData(marker, '')`: what the padding adds to, to reach a payload size. */
export function unpaddedDataBytes(marker: BenchMarker): number {
  return 19 + JSON.stringify(marker).length;
}

/** Longest a target's warm-up may take (PublishTarget.warmUp). */
export const WARM_UP_TIMEOUT_MS = 5000;

export type SendOutcome =
  /**
   * Accepted; `timings` are extra trends to record in ms (e.g. creation_duration, broadcast_duration).
   * `failedRecipients`: channels that did not get it although the call as a whole succeeded (a broadcast's
   * per-channel errors) — those subscribers are not owed the message, so loss accounting stays exact.
   */
  | { ok: true; timings?: Record<string, number>; failedRecipients?: string[]; errors?: string[] }
  /**
   * Refused or failed; `code` is counted in errors by code ("http_503", "centrifugo_100", "timeout").
   * `errors` (both variants): further codes to count that did not decide the outcome (a per-channel error,
   * a failover to another node).
   */
  | { ok: false; code: string; errors?: string[] };

/** A destination for published messages. Created inside the publisher worker from serialisable options. */
export interface PublishTarget {
  /** `signal` aborts a call still running when the executor's gracefulStop ends (optional to honour). */
  send(message: OutgoingMessage, signal?: AbortSignal): Promise<SendOutcome>;
  /**
   * Optional: one harmless call of the kind `send` makes (same client, as many connections as one send
   * uses), before the run. A process's first HTTP call compiles the client (undici's llhttp WebAssembly and
   * its JavaScript): ~190 ms of CPU, 40 ms of it on the main thread, measured (issue 18), which would
   * otherwise land on the first message — inside its send, so in its latency — and in the generator's
   * measured CPU. Best effort: a failure is the run's to find, not the warm-up's, and a node that does not
   * answer is given up on after WARM_UP_TIMEOUT_MS (the engine waits for a ready publisher 60 s at least;
   * `requestTimeout` may be longer).
   */
  warmUp?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Everything a target is created from, inside the publisher worker (plain data: it crosses IPC).
 * A target module exports `createTarget: CreateTarget`, and is listed in ./registry.ts.
 */
export interface TargetContext {
  centrifugo: { apiUrls: string[]; apiKey: string };
  /**
   * Stream id → the channels owing it (from the audience). The publisher picks each message's stream
   * round-robin over these keys and the target sends it to that stream's recipients.
   */
  streams: Record<string, string[]>;
  /** Scenario options of the target: `targetOptions` of the engine targets plus the workload's own. */
  options: Record<string, unknown>;
  /** Unique per run: prefix of idempotency keys, so reruns against one stack never collide. */
  runNonce: string;
  /** Most concurrent sends the executor can have (maxVUs): size connection pools by it. */
  maxConcurrency: number;
  /** Per-call timeout, ms. */
  requestTimeoutMs: number;
}

export type CreateTarget = (context: TargetContext) => PublishTarget | Promise<PublishTarget>;

/**
 * Who receives which stream, for loss accounting: a subscriber owes every message of each stream listed
 * for it. Built by the planner from the scenario (synthetic users, or the seeded dataset's memberships).
 */
export interface AudienceMember {
  userId: string;
  /** The personal channel the subscriber listens on (`personal:<userId>`). */
  channel: string;
  streams: string[];
}
