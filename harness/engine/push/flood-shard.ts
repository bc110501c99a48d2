/**
 * One shard of a sharded push flood (`run … --shard i/n`; harness/run/shard-slice.ts computes the slice). Every
 * shard builds the same seeded population, registers and pushes to its own contiguous range of devices only,
 * and its ledger counts its own pushes only (the relay's ledger scope is per flood, so per shard).
 *
 * The push sink is one service shared by every shard, and its state is run-wide: its stats (receipts, the e2e
 * latency histogram, dead-token hits) count every shard's pushes, and a fault profile applies to all of them.
 * So exactly one shard, shard 0, owns it: it resets the stats before the start barrier (no shard pushes before
 * the barrier, so the reset covers the whole run and nothing else), applies the fault variant just after the
 * barrier (the windows count from the common start, as in one process), reads the sink's figures once every
 * shard has drained (the ledger exchange below) and then clears the faults. Its sink figures — e2e latency,
 * per second and whole, receipts, duplicates, dead-token hits — are the run's; the other shards report none,
 * so the merge counts them once. Its sink cross-check ("delivered the sink never saw") compares the receipts
 * with every shard's delivered count, which each shard hands over in the exchange.
 *
 * Time across machines. Each push's `bench_t` is its intended send time and the sink subtracts it from its own
 * accept time, so both must be on one clock. A shard's is its CLOCK_MONOTONIC plus `clockOffsetUs` (the engine's
 * hook: the coordinator's time base); the sink's is its own host's. Before the start barrier every shard (not just
 * shard 0: each stamps its own pushes) asks its session for the sink's offset to the coordinator, estimated
 * NTP-style against `GET /__sink/clock`, and stamps `bench_t` = intended + clockOffsetUs − sinkOffsetUs: the
 * intended time in the coordinator's base, expressed on the sink's clock. What the sink records, accept − bench_t,
 * is then (accept + sinkOffsetUs) − intended: the accept time in the coordinator's base minus the intended time
 * in it. The offset is applied on the sending side rather than set in the sink because the sink's workers are
 * separate processes (a control call reaches one of them) and because each shard's own estimate of its offset to
 * the coordinator cancels out of its stamps (it enters both terms): only its estimate of the sink is left, within
 * its stated uncertainty. So shards need not agree on one value; each records its own in shard.json.
 * A single process has no offsets: `bench_t` is its CLOCK_MONOTONIC, as on one host it always was.
 */
import type { PushLedger } from '../../common/summary-types.ts';

/**
 * Estimates the sink's clock offset to the coordinator (µs to add to the sink's clock to get the coordinator's)
 * from `readSinkClock` round trips, records it for the shard's record ('before' the flood, 'after' its drain: a
 * drift shows up as a change) and returns it.
 */
export type SinkClockOffset = (readSinkClock: () => Promise<number>, when: 'before' | 'after') => Promise<number>;

export interface PushFloodShard {
  index: number;
  count: number;
  /** The devices of the (whole, seeded) population this shard registers and pushes to: [start, end). */
  devices: { start: number; end: number };
  /** Resolves at the coordinator's common start instant, once every shard is ready; rejects if the run aborted. */
  startBarrier(): Promise<void>;
  /**
   * After this shard's drain: hands its ledger over (keyed by `shardLedgerKey`) and resolves with every
   * shard's once all have drained; rejects if the run aborted.
   */
  exchangeLedgers(own: Record<string, PushLedger>): Promise<Record<string, PushLedger>>;
  /** Add to this shard's CLOCK_MONOTONIC to get the coordinator's time (the engine's `clockOffsetUs` hook). */
  clockOffsetUs: number;
  /** The sink's offset to the coordinator, estimated and recorded by the shard's session (see above). */
  sinkClockOffset: SinkClockOffset;
}

/** The key of shard `index`'s ledger in the exchange (keys must be unique across shards). */
export const shardLedgerKey = (index: number): string => `push-ledger@${index}`;

/** Whether this flood manages the sink's run-wide state: a single process, or shard 0 of a sharded run. */
export const ownsSink = (shard: PushFloodShard | undefined): boolean => !shard || shard.index === 0;

/** Delivered device messages of every shard but `index`, from the exchanged ledgers. */
export function deliveredByOthers(ledgers: Record<string, PushLedger>, index: number): number {
  return Object.entries(ledgers)
    .filter(([key]) => key !== shardLedgerKey(index))
    .reduce((total, [, ledger]) => total + ledger.delivered, 0);
}
