/**
 * One shard's deterministic slice of a WebSocket workload (harness/distributed/segments.ts does the arithmetic):
 *
 * - subscribers: the users whose audience index i has `i mod n = shard` (striped, so every shard gets a mix of
 *   rooms), with the connection ramp split the same way;
 * - publishers: each executor's rate, VUs or iterations split so the shards' parts sum exactly to the whole;
 * - streams: shard k publishes its own copy of every stream, `<stream>@k`, to *every* shard's channels, and each
 *   subscriber owes the copies of all n shards. Stream ids stay globally unique (no two publishers hand out the
 *   same sequence numbers), and the owed deliveries add up to exactly what one process owes:
 *   Σₖ published(stream@k) × members(stream) = published(stream) × members(stream);
 * - push flood: a contiguous range of the seeded device population, and its part of the pushes.
 */
import { UserError } from '../common/errors.ts';
import { ownsKey, type Shard, sliceCount, sliceRange, sliceRate } from '../distributed/index.ts';
import { type AudienceMember, channelsByStream, type PushFlood, type Workload } from '../engine/index.ts';

/** The stream id shard `index` publishes for `stream`. */
export const shardStream = (stream: string, index: number): string => `${stream}@${index}`;

/** This shard's subscribers (owing every shard's copy of their streams) and the streams it publishes. */
export function sliceAudience(
  whole: readonly AudienceMember[],
  shard: Shard,
): { audience: AudienceMember[]; publishStreams: Record<string, string[]> } {
  const publishStreams = Object.fromEntries(
    Object.entries(channelsByStream(whole)).map(([stream, channels]) => [shardStream(stream, shard.index), channels]),
  );
  const audience: AudienceMember[] = [];
  whole.forEach((member, index) => {
    if (!ownsKey(index, shard)) return;
    const streams = member.streams.flatMap((stream) =>
      Array.from({ length: shard.count }, (_, k) => shardStream(stream, k)),
    );
    audience.push({ ...member, streams });
  });
  return { audience, publishStreams };
}

/**
 * The workload this shard runs: its subscriber count and connection ramp, and its part of the executor. A part
 * that would be zero (a rate of 2/s over 3 shards) is refused: the shard would publish nothing, and a k6
 * executor with rate 0 is not a thing.
 */
export function sliceWorkload(workload: Workload, shard: Shard, subscriberCount: number): Workload {
  const s = workload.subscribers;
  const subscribers = {
    ...s,
    count: subscriberCount,
    ...(s.connectRate !== undefined ? { connectRate: Math.max(sliceRate(s.connectRate, shard), 1) } : {}),
    ...(s.stages
      ? {
          stages: s.stages.map((stage, i) => ({
            ...stage,
            target: i === s.stages!.length - 1 ? subscriberCount : sliceCount(stage.target, shard),
          })),
        }
      : {}),
  };
  return { ...workload, subscribers, publishers: slicePublishers(workload.publishers, shard) } as Workload;
}

function slicePublishers(p: Workload['publishers'], shard: Shard): Workload['publishers'] {
  const share = (what: string, total: number, part: number) => {
    if (total > 0 && part <= 0) {
      throw new UserError(
        `workload.publishers.${what}: ${total} split over ${shard.count} shards leaves shard ${shard.index} none; ` +
          `use at most ${Math.max(1, Math.floor(total))} shards or raise it`,
      );
    }
    return part;
  };
  const vus = (n: number) => Math.max(1, sliceCount(n, shard));
  switch (p.executor) {
    case 'constant-arrival-rate':
      return {
        ...p,
        rate: share('rate', p.rate, sliceRate(p.rate, shard)),
        preAllocatedVUs: vus(p.preAllocatedVUs),
        ...(p.maxVUs !== undefined ? { maxVUs: vus(p.maxVUs) } : {}),
      };
    case 'ramping-arrival-rate': {
      const peak = Math.max(p.startRate, ...p.stages.map((stage) => stage.target));
      share('stages (peak rate)', peak, sliceRate(peak, shard));
      return {
        ...p,
        startRate: sliceRate(p.startRate, shard),
        stages: p.stages.map((stage) => ({ ...stage, target: sliceRate(stage.target, shard) })),
        preAllocatedVUs: vus(p.preAllocatedVUs),
        ...(p.maxVUs !== undefined ? { maxVUs: vus(p.maxVUs) } : {}),
      };
    }
    case 'constant-vus':
    case 'per-vu-iterations':
      return { ...p, vus: share('vus', p.vus, sliceCount(p.vus, shard)) };
    case 'shared-iterations':
      return {
        ...p,
        vus: vus(p.vus),
        iterations: share('iterations', p.iterations, sliceCount(p.iterations, shard)),
      };
    case 'ramping-vus': {
      const peak = Math.max(p.startVUs, ...p.stages.map((stage) => stage.target));
      share('stages (peak VUs)', peak, sliceCount(peak, shard));
      return {
        ...p,
        startVUs: sliceCount(p.startVUs, shard),
        stages: p.stages.map((stage) => ({ ...stage, target: sliceCount(stage.target, shard) })),
      };
    }
  }
}

/**
 * This shard's part of a push flood: its contiguous range of the (seeded, so on every shard identical) device
 * population, and its part of the pushes — `total` by `sliceCount`, a fixed `rate` by `sliceRate`, the calls in
 * flight like VUs — so the parts sum exactly to the whole. A part that would be zero is refused, naming the field.
 */
export function slicePushFlood(
  flood: PushFlood,
  shard: Shard,
): { flood: PushFlood; devices: { start: number; end: number } } {
  const refuse = (what: string, total: number) => {
    throw new UserError(
      `push.${what}: ${total} split over ${shard.count} shards leaves shard ${shard.index} none; ` +
        `use at most ${Math.max(1, Math.floor(total))} shards or raise it`,
    );
  };
  const devices = sliceRange(flood.devices.count, shard);
  if (devices.end === devices.start) refuse('devices.count', flood.devices.count);
  const { pushes } = flood;
  const total = sliceCount(pushes.total, shard);
  if (total === 0) refuse('pushes.total', pushes.total);
  const rate = pushes.rate === 'max' ? 'max' : sliceRate(pushes.rate, shard);
  if (rate !== 'max' && rate <= 0) refuse('pushes.rate', pushes.rate as number);
  const concurrency = Math.max(1, sliceCount(pushes.concurrency, shard));
  return { flood: { ...flood, pushes: { ...pushes, total, rate, concurrency } }, devices };
}
