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
 * - rooms (a seeded dataset: its streams are rooms; the chat-app target takes a room id, so a room cannot be
 *   copied per shard): shard k publishes its contiguous range of the rooms, at the same fraction of the rate, VUs
 *   or iterations, so each room is published as often as by one process (copies would split a room's count by
 *   the shards' round-robin, and rooms of different sizes would then owe different totals); the streams keep
 *   their ids (`room:<id>`), each published by one shard, and subscribers on every shard owe them through the
 *   published-stream exchange;
 * - push flood: a contiguous range of the seeded device population, and its part of the pushes.
 */
import { UserError } from '../common/errors.ts';
import {
  ownsKey,
  type Segment,
  type Shard,
  shardSegment,
  sliceCount,
  sliceRange,
  sliceRate,
} from '../distributed/index.ts';
import { type AudienceMember, channelsByStream, type PushFlood, type Workload } from '../engine/index.ts';

/** The stream id shard `index` publishes for `stream`. */
export const shardStream = (stream: string, index: number): string => `${stream}@${index}`;

/** How the streams are shared: copied per shard (synthesized channels, one `broadcast`), or split (a dataset's rooms). */
export type StreamSharing = 'copies' | 'rooms';

export const streamSharingFor = (scenario: { dataset?: unknown }): StreamSharing =>
  scenario.dataset ? 'rooms' : 'copies';

export interface AudienceSlice {
  /** This shard's subscribers (users index ≡ shard mod n), owing the streams every shard publishes to them. */
  audience: AudienceMember[];
  /** What this shard publishes: stream id → channels. */
  publishStreams: Record<string, string[]>;
  /** This shard's fraction of the publishers (rate, VUs, iterations): 1/n, or its share of the rooms. */
  publishShare: Segment;
}

/** This shard's subscribers and the streams it publishes (see the file's comment for the two ways). */
export function sliceAudience(
  whole: readonly AudienceMember[],
  shard: Shard,
  sharing: StreamSharing = 'copies',
): AudienceSlice {
  const audience: AudienceMember[] = [];
  const streams = Object.entries(channelsByStream(whole));
  if (sharing === 'rooms') {
    const rooms = roomShare(streams.length, shard);
    whole.forEach((member, index) => {
      if (ownsKey(index, shard)) audience.push({ ...member });
    });
    return { audience, publishStreams: Object.fromEntries(streams.slice(rooms.from, rooms.to)), publishShare: rooms };
  }
  const publishStreams = Object.fromEntries(
    streams.map(([stream, channels]) => [shardStream(stream, shard.index), channels]),
  );
  whole.forEach((member, index) => {
    if (!ownsKey(index, shard)) return;
    const owed = member.streams.flatMap((stream) =>
      Array.from({ length: shard.count }, (_, k) => shardStream(stream, k)),
    );
    audience.push({ ...member, streams: owed });
  });
  return { audience, publishStreams, publishShare: shardSegment(shard) };
}

/**
 * The rooms [from, to) of `roomCount` (in the audience's deterministic order) this shard publishes, as a
 * segment of them; fewer rooms than shards would leave a shard nothing to publish: refused, naming the numbers.
 */
export function roomShare(roomCount: number, shard: Shard): Segment {
  const { start, end } = sliceRange(roomCount, shard);
  if (end === start) {
    throw new UserError(
      `--shard: shards split a dataset's rooms; ${roomCount} room${roomCount === 1 ? '' : 's'} ` +
        `over ${shard.count} shards leaves shard ${shard.index} none; use at most ${Math.max(1, roomCount)} shards`,
    );
  }
  return { from: start, to: end, of: roomCount };
}

/**
 * The workload this shard runs: its subscriber count and connection ramp, and its part of the executor —
 * `publishShare` of it (default 1/n). A part that would be zero (a rate of 2/s over 3 shards) is refused: the
 * shard would publish nothing, and a k6 executor with rate 0 is not a thing.
 */
export function sliceWorkload(
  workload: Workload,
  shard: Shard,
  subscriberCount: number,
  publishShare: Segment = shardSegment(shard),
): Workload {
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
  return {
    ...workload,
    subscribers,
    publishers: slicePublishers(workload.publishers, shard, publishShare),
  } as Workload;
}

function slicePublishers(p: Workload['publishers'], shard: Shard, share: Segment): Workload['publishers'] {
  const partOf = (what: string, total: number, part: number) => {
    if (total > 0 && part <= 0) {
      throw new UserError(
        `workload.publishers.${what}: ${total} split over ${shard.count} shards leaves shard ${shard.index} none; ` +
          `use at most ${Math.max(1, Math.floor(total))} shards or raise it`,
      );
    }
    return part;
  };
  const vus = (n: number) => Math.max(1, sliceCount(n, share));
  switch (p.executor) {
    case 'constant-arrival-rate': {
      const rate = partOf('rate', p.rate, sliceRate(p.rate, share));
      return {
        ...p,
        rate,
        // Phase: without it every shard's schedule starts at the barrier instant and their iterations leave
        // together, a burst one process never makes (k6's execution segments interleave them likewise). Shard
        // k starts k/n of its own interval later: same count of iterations, spread over the interval.
        startTime: p.startTime + Math.round(((shard.index / shard.count) * p.timeUnit) / rate),
        preAllocatedVUs: vus(p.preAllocatedVUs),
        ...(p.maxVUs !== undefined ? { maxVUs: vus(p.maxVUs) } : {}),
      };
    }
    case 'ramping-arrival-rate': {
      const peak = Math.max(p.startRate, ...p.stages.map((stage) => stage.target));
      partOf('stages (peak rate)', peak, sliceRate(peak, share));
      return {
        ...p,
        startRate: sliceRate(p.startRate, share),
        stages: p.stages.map((stage) => ({ ...stage, target: sliceRate(stage.target, share) })),
        // Phase, as for a constant rate, but in iterations rather than time (the rate changes, so a time shift
        // would not interleave): shard k of n at 1/n of the rate fires where one process's iteration n·i + k does.
        phase: share.from / share.of,
        preAllocatedVUs: vus(p.preAllocatedVUs),
        ...(p.maxVUs !== undefined ? { maxVUs: vus(p.maxVUs) } : {}),
      };
    }
    case 'constant-vus':
    case 'per-vu-iterations':
      return { ...p, vus: partOf('vus', p.vus, sliceCount(p.vus, share)) };
    case 'shared-iterations':
      return {
        ...p,
        vus: vus(p.vus),
        iterations: partOf('iterations', p.iterations, sliceCount(p.iterations, share)),
      };
    case 'ramping-vus': {
      const peak = Math.max(p.startVUs, ...p.stages.map((stage) => stage.target));
      partOf('stages (peak VUs)', peak, sliceCount(peak, share));
      return {
        ...p,
        startVUs: sliceCount(p.startVUs, share),
        stages: p.stages.map((stage) => ({ ...stage, target: sliceCount(stage.target, share) })),
      };
    }
  }
}

/**
 * This shard's part of a push flood: its contiguous range of the (seeded, so on every shard identical) device
 * population, and its part of the pushes — `total` by `sliceCount`, a fixed `rate` by `sliceRate`, the calls in
 * flight like VUs — so the parts sum exactly to the whole; at a fixed rate each shard's calls are phased k/n. A part that would be zero is refused, naming the field.
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
  // At a fixed rate, shard k of n starts k/n of its call interval late: the shards' calls interleave rather
  // than leaving together at the barrier instant, a burst one process never makes.
  const phase = rate === 'max' ? 0 : shard.index / shard.count;
  return { flood: { ...flood, pushes: { ...pushes, total, rate, concurrency, phase } }, devices };
}
