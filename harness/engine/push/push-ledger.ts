import type { AggregateLedger } from '../../common/push-api.ts';
import type { PushLedger } from '../../common/summary-types.ts';

/** The counters of an API's aggregate ledger (`push_ledger_aggregate`) that the accounting reads. */
export type LedgerCounters = Pick<
  AggregateLedger,
  'pushes' | 'fanout_pending' | 'enqueued' | 'delivered' | 'failed' | 'queued'
>;

export const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

/**
 * The exact ledger (unit: one notification to one device). From the API's ledger when there is one —
 * pushes not fanned out yet count as one queued unit each — with `unaccounted` summed from independent
 * checks; from sink receipts alone otherwise (then only delivered is known: the rest is `queued`).
 */
export function accountFor(input: {
  source: 'api' | 'sink' | 'none';
  api?: LedgerCounters;
  baseline?: LedgerCounters;
  /** Calls the API acknowledged with a uid (its ledger's `pushes`). */
  accepted: number;
  /** Device messages those calls named (token / device recipients); without it, one per call. */
  acceptedUnits?: number;
  /** Device messages the flood asked for (raw-token recipients only; filters resolve inside the API). */
  expectedTargets?: number;
  /** Sink receipts since its stats were reset (only this flood used the sink). */
  sinkReceipts?: number;
}): PushLedger {
  if (input.source === 'api' && input.api) {
    const a = input.api;
    const b = input.baseline;
    const minus = (x: number, y: number | undefined) => x - (y ?? 0);
    const failed: Record<string, number> = {};
    for (const [reason, n] of Object.entries(a.failed)) {
      const v = n - (b?.failed[reason] ?? 0);
      if (v) failed[reason] = v;
    }
    const fanoutPending = minus(a.fanout_pending, b?.fanout_pending);
    const targets = minus(a.enqueued, b?.enqueued);
    const delivered = minus(a.delivered, b?.delivered);
    const queued = minus(a.queued, b?.queued);
    const pushes = minus(a.pushes, b?.pushes);
    let unaccounted = 0;
    // Pushes the API acknowledged with a uid but its ledger never counted (or counted without being asked).
    unaccounted += Math.abs(input.accepted - pushes);
    // The API's own counters must add up.
    unaccounted += Math.abs(targets - delivered - sum(failed) - queued);
    // Raw tokens: every token of every accepted push is one device message.
    if (input.expectedTargets !== undefined && fanoutPending === 0)
      unaccounted += Math.abs(input.expectedTargets - targets);
    // A delivery the sink never saw was not delivered.
    if (input.sinkReceipts !== undefined) unaccounted += Math.max(0, delivered - input.sinkReceipts);
    return {
      enqueued: targets + fanoutPending,
      delivered,
      failed,
      queued: queued + fanoutPending,
      unaccounted,
    };
  }
  const enqueued = input.expectedTargets ?? input.acceptedUnits ?? input.accepted;
  const delivered = input.source === 'sink' ? Math.min(enqueued, input.sinkReceipts ?? 0) : 0;
  return { enqueued, delivered, failed: {}, queued: enqueued - delivered, unaccounted: 0 };
}

/** An API ledger's figures for this run, as the flood follows them each second and while draining. */
export interface LedgerProgress {
  pushes: number;
  delivered: number;
  /** Device messages failed for good, every reason. */
  failed: number;
  /** Device messages not settled + pushes not fanned out yet: the `push_queue_depth` gauge. */
  depth: number;
  /** `depth` + pushes waiting for their send time: 0 when the queue has drained. */
  pending: number;
  retries: number;
}

/**
 * An API ledger minus the baseline read before the run: without a run scope, another service's ledger
 * counts everything it ever did.
 */
export function ledgerProgress(ledger: AggregateLedger, baseline: AggregateLedger | undefined): LedgerProgress {
  const before = (field: 'pushes' | 'delivered' | 'queued' | 'fanout_pending' | 'scheduled' | 'retries') =>
    baseline?.[field] ?? 0;
  const depth = ledger.queued + ledger.fanout_pending - (before('queued') + before('fanout_pending'));
  return {
    pushes: ledger.pushes - before('pushes'),
    delivered: ledger.delivered - before('delivered'),
    failed: sum(ledger.failed) - (baseline ? sum(baseline.failed) : 0),
    depth,
    pending: depth + ledger.scheduled - before('scheduled'),
    retries: ledger.retries - before('retries'),
  };
}
