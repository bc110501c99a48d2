/**
 * A worker's share of the subscriber fleet: its connections, the connection ramp, and per (subscriber,
 * stream) delivery accounting. Recording is cheap on purpose: a publication costs a byte scan of its frame
 * (in the protocol client; `JSON.parse` for anything not of the plain shape), a sequence-tracker update, a
 * histogram record and a few integer increments (plus, when rows are sampled, one integer hash).
 *
 * What a subscriber owes (config.owedFrom): every message of its streams ('start': publishing waited for
 * the fleet), or — subscribers joining while publishing runs ('subscription') — the messages intended at or
 * after the moment it first became subscribed: per stream, sequence numbers from `firstOwed` on, found in
 * the publisher's intended times (accounting/intended-times.ts). A reconnect keeps the first subscription's
 * moment: recovery is there to fill the gap.
 */

import { monoUs } from '../../common/mono-clock.ts';
import type { DeliverySample } from '../../common/summary-types.ts';
import type { IntendedTail } from '../accounting/intended-times.ts';
import { IntendedTimes } from '../accounting/intended-times.ts';
import { OwedStreams } from '../accounting/owed-streams.ts';
import type { StreamFinal, StreamProgress } from '../accounting/publish-ledger.ts';
import { SequenceTracker } from '../accounting/sequence-tracker.ts';
import { type ConnectRamp, emptyAccounting, type SubscriberAccounting, type SubscriberWorkerConfig } from '../ipc.ts';
import { isSampled, SecondReservoir, sampleKey } from '../metrics/delivery-sampler.ts';
import type { MetricsRecorder } from '../metrics/recorder.ts';
import type { Publication } from '../protocol/frame-codec.ts';
import { TokenMinter } from '../protocol/jwt.ts';
import {
  type SubscribedInfo,
  SubscriberConnection,
  type SubscriberConnectionOptions,
  type SubscriberListener,
} from '../protocol/subscriber-connection.ts';
import type { AudienceMember } from '../targets/publish-target.ts';

interface Member {
  member: AudienceMember;
  streams: string[];
  /** Per stream: its id as it appears inside a JSON string (escaped), for the byte-scanned fast path. */
  streamBytes: Buffer[];
  trackers: SequenceTracker[];
  options: SubscriberConnectionOptions;
  conn: SubscriberConnection | undefined;
  /**
   * When it first became subscribed (run clock, µs): messages intended earlier are not owed.
   * -Infinity when every message is owed (owedFrom 'start'); Infinity until subscribed.
   */
  subscribedAtUs: number;
  /** Per stream: the first owed sequence number (1 with owedFrom 'start'; Infinity until known). */
  firstOwed: number[];
  /** Per stream: the sampling hash's (subscriber, stream) part (when sampling). */
  sampleKeys: number[];
}

/** Subscriptions of one stream whose first owed message is not known yet, oldest first. */
interface PendingQueue {
  items: Array<{ m: Member; index: number }>;
  head: number;
}

interface BenchData {
  bench?: { s: string; q: number; t: number };
}

export class SubscriberFleet implements SubscriberListener {
  private readonly members: Member[] = [];
  private readonly owed = new OwedStreams();
  private readonly intended = new IntendedTimes();
  private readonly pending = new Map<string, PendingQueue>();
  private readonly lateJoiners: boolean;
  private readonly nodeByUrl: Map<string, string>;
  private readonly reservoir: SecondReservoir<DeliverySample> | undefined;
  private subscribedNow = 0;
  private opened = 0;
  private rampTimer: NodeJS.Timeout | undefined;
  private deadTimer: NodeJS.Timeout | undefined;
  private lostReported = 0;
  // Hot counters as plain fields, flushed into the recorder once per snapshot.
  private delivered = 0;
  private duplicated = 0;
  private reordered = 0;
  private recovered = 0;
  private unowed = 0;
  private closing = false;
  /**
   * Receive times come from the connections' own clock reads (CLOCK_MONOTONIC, one per socket read); a shard
   * of a distributed run moves them into the coordinator's time base, like `now` and the publishers' marks.
   */
  private readonly clockOffsetUs: number;

  constructor(
    private readonly config: SubscriberWorkerConfig,
    private readonly recorder: MetricsRecorder,
    private readonly log: (message: string) => void = () => {},
    /** The run clock (µs); injectable for tests. */
    private readonly now: () => number = monoUs,
  ) {
    this.lateJoiners = config.owedFrom === 'subscription';
    this.clockOffsetUs = config.clockOffsetUs ?? 0;
    this.nodeByUrl = new Map(config.wsUrls.map((url, i) => [url, config.nodeNames[i] ?? `node-${i + 1}`]));
    const samples = config.samples;
    this.reservoir = samples && samples.rate > 0 ? new SecondReservoir(samples.maxPerSecond) : undefined;
  }

  /** Mints every subscriber's tokens up front (no exp: valid for the whole run). */
  async prepare(): Promise<void> {
    const minter = new TokenMinter(this.config.hmacSecret);
    const { wsUrls, firstIndex } = this.config;
    const batch = 500;
    for (let start = 0; start < this.config.members.length; start += batch) {
      const slice = this.config.members.slice(start, start + batch);
      const prepared = await Promise.all(
        slice.map(async (member, j) => {
          const index = firstIndex + start + j;
          const node = index % wsUrls.length;
          const urls = wsUrls.map((_, k) => wsUrls[(node + k) % wsUrls.length]!);
          const [connectionToken, subscriptionToken] = await Promise.all([
            minter.connection(member.userId),
            minter.subscription(member.userId, member.channel),
          ]);
          const options: SubscriberConnectionOptions = {
            urls,
            userId: member.userId,
            channel: member.channel,
            connectionToken,
            subscriptionToken,
            connectTimeoutMs: this.config.connectTimeoutMs,
            reconnect: this.config.reconnect,
            clientName: this.config.clientName,
            protocol: this.config.protocol ?? 'json',
          };
          const localAddress = sourceAddress(
            urls[0]!,
            Math.floor(index / wsUrls.length),
            this.config.socketsPerSourceAddress,
          );
          if (localAddress) options.localAddress = localAddress;
          return {
            member,
            streams: member.streams,
            streamBytes: member.streams.map((stream) => Buffer.from(JSON.stringify(stream).slice(1, -1))),
            trackers: member.streams.map(() => new SequenceTracker()),
            options,
            conn: undefined,
            subscribedAtUs: this.lateJoiners ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY,
            firstOwed: member.streams.map(() => (this.lateJoiners ? Number.POSITIVE_INFINITY : 1)),
            sampleKeys: this.reservoir ? member.streams.map((stream) => sampleKey(stream, member.userId)) : [],
          } satisfies Member;
        }),
      );
      this.members.push(...prepared);
    }
  }

  get target(): number {
    return this.members.length;
  }

  /** Subscribed connections now. */
  get subscribedCount(): number {
    return this.subscribedNow;
  }

  /** Opens connections following the ramp; checks every 10 ms which are due. */
  startRamp(): void {
    const startedAt = performance.now();
    const step = () => {
      const due = Math.min(this.members.length, connectionsDueAt(this.config.ramp, performance.now() - startedAt));
      while (this.opened < due && !this.closing) this.open(this.members[this.opened++]!, this.opened - 1);
      if (this.opened < this.members.length && !this.closing) this.rampTimer = setTimeout(step, 10);
    };
    step();
    this.deadTimer = setInterval(() => this.dropDeadConnections(), 5000);
  }

  private open(m: Member, slot: number): void {
    const conn = new SubscriberConnection(m.options, this);
    conn.slot = slot;
    m.conn = conn;
    conn.open();
  }

  /** No frame for ping interval + 10 s: the connection is dead though TCP has not noticed (JS SDK rule). */
  private dropDeadConnections(): void {
    const nowMs = monoUs() / 1000;
    for (const m of this.members) {
      const c = m.conn;
      if (c?.state !== 'subscribed' || c.pingIntervalS <= 0) continue; // not live yet, or gone
      if (nowMs - c.lastFrameAtMs > (c.pingIntervalS + 10) * 1000) c.drop('no_ping');
    }
  }

  // ── SubscriberListener ───────────────────────────────────────────────────────────────────────────────

  connected(_conn: SubscriberConnection, durationUs: number): void {
    this.recorder.recordUs('connect_duration', durationUs);
  }

  subscribed(conn: SubscriberConnection, info: SubscribedInfo): void {
    this.subscribedNow++;
    const m = this.members[conn.slot]!;
    if (m.subscribedAtUs === Number.POSITIVE_INFINITY) {
      // Its first subscription: from now on it owes what is intended (reconnects keep this moment).
      m.subscribedAtUs = info.atUs + this.clockOffsetUs;
      for (let index = 0; index < m.streams.length; index++)
        this.pendingQueue(m.streams[index]!).items.push({ m, index });
    }
    this.recorder.recordUs('subscribe_duration', info.durationUs);
    if (info.reconnectUs !== null) {
      this.recorder.count('reconnects');
      this.recorder.recordUs('reconnect_duration', info.reconnectUs);
    }
    if (info.wasRecovering && !info.recovered) this.recorder.error('recovery_failed');
  }

  publication(conn: SubscriberConnection, pub: Publication, receivedUs: number, viaRecovery: boolean): void {
    const bench = (pub.data as BenchData | undefined)?.bench;
    if (!bench) return;
    const m = this.members[conn.slot]!;
    const streams = m.streams;
    const index = streams.length === 1 ? (streams[0] === bench.s ? 0 : -1) : streams.indexOf(bench.s);
    this.deliver(conn, m, index, bench.q, bench.t, receivedUs + this.clockOffsetUs, viaRecovery);
  }

  /** The same as `publication`, the marker read from the frame's bytes by the connection (the hot path). */
  marker(
    conn: SubscriberConnection,
    data: Buffer,
    streamStart: number,
    streamEnd: number,
    q: number,
    t: number,
    receivedUs: number,
  ): void {
    const m = this.members[conn.slot]!;
    const streamBytes = m.streamBytes;
    let index = -1;
    for (let i = 0; i < streamBytes.length && index < 0; i++) {
      if (sameBytes(streamBytes[i]!, data, streamStart, streamEnd)) index = i;
    }
    this.deliver(conn, m, index, q, t, receivedUs + this.clockOffsetUs, false);
  }

  /** One received message of stream `index` of member `m` (-1: not one of its streams). */
  private deliver(
    conn: SubscriberConnection,
    m: Member,
    index: number,
    q: number,
    t: number,
    receivedUs: number,
    viaRecovery: boolean,
  ): void {
    if (index < 0) {
      this.unowed++;
      return;
    }
    const receipt = m.trackers[index]!.record(q);
    // Intended before it subscribed: not owed, so neither a delivery nor a loss (counted at accounting).
    if (t < m.subscribedAtUs) return;
    if (receipt === 'duplicate') {
      this.duplicated++;
      return;
    }
    this.delivered++;
    if (receipt === 'new-reordered') this.reordered++;
    if (viaRecovery) this.recovered++;
    const latencyUs = receivedUs - t;
    this.recorder.recordUs('delivery_latency', latencyUs);
    if (this.reservoir && isSampled(m.sampleKeys[index]!, q, this.config.samples!.rate)) {
      const stream = m.streams[index]!;
      this.reservoir.offer(() => this.sampleRow(conn, m, stream, q, receivedUs, latencyUs, viaRecovery));
    }
  }

  private sampleRow(
    conn: SubscriberConnection,
    m: Member,
    stream: string,
    seq: number,
    receivedUs: number,
    latencyUs: number,
    recovered: boolean,
  ): DeliverySample {
    const samples = this.config.samples!;
    return {
      run_id: samples.runId,
      ts_us: receivedUs + samples.epochOffsetUs,
      stream,
      subscriber: m.member.userId,
      seq,
      latency_us: Math.max(0, latencyUs),
      node: this.nodeByUrl.get(conn.url) ?? conn.url,
      worker: samples.worker,
      ...(recovered ? { recovered: true } : {}),
    };
  }

  /** The second's sampled rows (bounded) and how many did not fit; undefined when not sampling. */
  takeSamples(): { rows: DeliverySample[]; dropped: number } | undefined {
    return this.reservoir?.take();
  }

  unsubscribed(): void {
    this.subscribedNow--;
  }

  error(_conn: SubscriberConnection, code: string): void {
    if (!this.closing) this.recorder.error(code);
  }

  terminal(conn: SubscriberConnection, reason: string): void {
    if (this.closing) return;
    this.recorder.error('subscriber_gave_up');
    this.log(`subscriber ${conn.userId} gave up: ${reason}`);
  }

  // ── Accounting ─────────────────────────────────────────────────────────────────────────────────────────

  applyProgress(atUs: number, streams: Record<string, StreamProgress>): void {
    this.owed.applyProgress(atUs, streams, this.config.lostAfterMs * 1000 * 2);
    if (this.lateJoiners) this.learnIntended(streams, false);
  }

  private pendingQueue(stream: string): PendingQueue {
    let queue = this.pending.get(stream);
    if (!queue) {
      queue = { items: [], head: 0 };
      this.pending.set(stream, queue);
    }
    return queue;
  }

  /**
   * New intended times decide the first owed message of subscriptions waiting for it (oldest first: their
   * moments and the times both only grow). `final`: the record is complete, so a subscription later than
   * every message owes none. Times nothing can ask about any more are forgotten.
   */
  private learnIntended(streams: Record<string, { intended?: IntendedTail }>, final: boolean): void {
    for (const [stream, p] of Object.entries(streams)) if (p.intended) this.intended.append(stream, p.intended);
    const nowUs = this.now();
    for (const stream of new Set([...this.pending.keys(), ...this.intended.streamIds()])) {
      const queue = this.pending.get(stream);
      let oldestWaitingUs = Number.POSITIVE_INFINITY;
      if (queue) {
        while (queue.head < queue.items.length) {
          const { m, index } = queue.items[queue.head]!;
          const first = this.intended.firstAtOrAfter(stream, m.subscribedAtUs);
          if (first === undefined && !final) {
            oldestWaitingUs = m.subscribedAtUs;
            break;
          }
          m.firstOwed[index] = first ?? Number.POSITIVE_INFINITY;
          queue.head++;
        }
        if (queue.head > 1024 && queue.head * 2 > queue.items.length) {
          queue.items.splice(0, queue.head);
          queue.head = 0;
        }
      }
      // Later questions are about subscriptions from now on, or the oldest still waiting.
      this.intended.forgetBefore(stream, Math.min(nowUs, oldestWaitingUs));
    }
  }

  /**
   * The second's snapshot: hot counters, the connected gauge, and live loss — owed messages published at
   * least `lostAfter` ago and not received (a counter whose increments go negative when a late message
   * un-declares its loss). `missing` is the same against the latest watermark: 0 means caught up.
   */
  snapshot(): { missing: number } {
    const r = this.recorder;
    if (this.delivered) r.count('messages_delivered', this.delivered);
    if (this.duplicated) r.count('messages_duplicated', this.duplicated);
    if (this.reordered) r.count('messages_reordered', this.reordered);
    if (this.recovered) r.count('messages_recovered', this.recovered);
    if (this.unowed) r.error('delivered_unowed', this.unowed);
    this.delivered = this.duplicated = this.reordered = this.recovered = this.unowed = 0;
    r.gauge('subscribers_connected', this.subscribedNow);

    const cutoffUs = this.now() - this.config.lostAfterMs * 1000;
    const lostMarks = new Map<string, number>();
    const latestMarks = new Map<string, number>();
    let lost = 0;
    let missing = 0;
    for (const m of this.members) {
      for (let i = 0; i < m.streams.length; i++) {
        const stream = m.streams[i]!;
        let w = lostMarks.get(stream);
        if (w === undefined) {
          w = this.owed.watermarkAt(stream, cutoffUs);
          lostMarks.set(stream, w);
        }
        let latest = latestMarks.get(stream);
        if (latest === undefined) {
          latest = this.owed.watermark(stream);
          latestMarks.set(stream, latest);
        }
        lost += this.missingUpTo(m, i, w);
        missing += this.missingUpTo(m, i, latest);
      }
    }
    if (lost !== this.lostReported) r.count('messages_lost', lost - this.lostReported);
    this.lostReported = lost;
    return { missing };
  }

  private missingUpTo(m: Member, i: number, w: number): number {
    const from = m.firstOwed[i]!;
    if (w < from) return 0;
    const tracker = m.trackers[i]!;
    // Healthy case, O(1) for an in-order tracker: everything from..w received.
    const received = tracker.receivedUpTo(w) - (from > 1 ? tracker.receivedUpTo(from - 1) : 0);
    if (received === w - from + 1) return 0;
    const { expected, delivered } = this.owed.account(m.streams[i]!, m.member.channel, tracker, w, from);
    return Math.max(0, expected - delivered);
  }

  /** Exact totals against every stream's final record (call after publishing ended and the drain). */
  account(atUs: number, finals: Record<string, StreamFinal>): SubscriberAccounting {
    this.owed.applyFinal(finals, atUs);
    if (this.lateJoiners) this.learnIntended(finals, true);
    const result = emptyAccounting();
    for (const m of this.members) {
      if (this.lateJoiners && m.conn && m.subscribedAtUs === Number.POSITIVE_INFINITY) result.neverSubscribed++;
      for (let i = 0; i < m.streams.length; i++) {
        const stream = m.streams[i]!;
        const tracker = m.trackers[i]!;
        const w = finals[stream]?.published ?? 0;
        const from = Math.min(m.firstOwed[i]!, w + 1);
        const r = this.owed.account(stream, m.member.channel, tracker, w, from);
        result.expected += r.expected;
        result.delivered += r.delivered;
        result.unaccepted += r.unaccepted + (tracker.received - tracker.receivedUpTo(w));
        if (from > 1) result.beforeSubscription += tracker.receivedUpTo(from - 1);
      }
    }
    return result;
  }

  close(): void {
    this.closing = true;
    if (this.rampTimer) clearTimeout(this.rampTimer);
    if (this.deadTimer) clearInterval(this.deadTimer);
    for (const m of this.members) m.conn?.close();
  }
}

/** Whether data[start, end) holds exactly `bytes`. */
function sameBytes(bytes: Buffer, data: Buffer, start: number, end: number): boolean {
  if (end - start !== bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (data[start + i] !== bytes[i]) return false;
  return true;
}

/**
 * How many connections should have been opened `elapsedMs` into the ramp: at a rate, the first at once and
 * then one every 1/rate s; with stages, linear from the previous stage's target (k6 ramping-vus shape).
 */
export function connectionsDueAt(ramp: ConnectRamp, elapsedMs: number): number {
  if (ramp.kind === 'rate') return Math.floor((elapsedMs / 1000) * ramp.perSecond) + 1;
  let from = 0;
  let at = 0;
  for (const stage of ramp.stages) {
    if (elapsedMs < at + stage.durationMs) {
      return Math.floor(from + ((stage.target - from) * (elapsedMs - at)) / stage.durationMs);
    }
    at += stage.durationMs;
    from = stage.target;
  }
  return from;
}

/**
 * Loopback source address for the n-th socket to one node: one source address gives ≈28k ports to one
 * destination (reference/load-testing.md, Linux limits), so past `perAddress` sockets use 127.0.0.2, …
 */
export function sourceAddress(url: string, nthToNode: number, perAddress: number): string | undefined {
  const block = Math.floor(nthToNode / perAddress);
  if (block === 0) return undefined;
  const host = new URL(url).hostname;
  if (!host.startsWith('127.')) return undefined;
  return `127.0.0.${1 + block}`;
}
