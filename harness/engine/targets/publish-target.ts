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

export type SendOutcome =
  /** Accepted; `timings` are extra trends to record in ms (e.g. creation_duration, broadcast_duration). */
  | { ok: true; timings?: Record<string, number> }
  /** Refused or failed; `code` is counted in errors by code ("http_503", "centrifugo_100", "timeout"). */
  | { ok: false; code: string };

/** A destination for published messages. Created inside the publisher worker from serialisable options. */
export interface PublishTarget {
  send(message: OutgoingMessage): Promise<SendOutcome>;
  close(): Promise<void>;
}

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
